# The finance-review fixtures of the evaluations tests, for the review parts of the trail.
from evaluations.tests.conftest import approved, review  # noqa: F401
