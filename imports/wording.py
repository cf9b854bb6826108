"""How the importers read what people write: names compared loosely, the grades 优 良 中 差 with the other
wordings files use for them, and the project types.

The grade names are those of ``domain.grades``; the wordings ("良好", "不合格" …) and the messages listing the grades
are written here once, for every reader (flat template, standard table, department-wide table, summary sheet).
"""

import re

from budgets.models import Project
from domain import grades
from indicators.parsing import clean_text

GRADES = (grades.GRADE_EXCELLENT, grades.GRADE_GOOD, grades.GRADE_FAIR, grades.GRADE_POOR)
GRADE_WORDINGS = {
    "优秀": grades.GRADE_EXCELLENT,
    "良好": grades.GRADE_GOOD,
    "中等": grades.GRADE_FAIR,
    "合格": grades.GRADE_FAIR,
    "较差": grades.GRADE_POOR,
    "不合格": grades.GRADE_POOR,
}
# The flat template's 自评等级 column, typed by hand, also takes "一般".
TEMPLATE_GRADE_WORDINGS = {**{name: name for name in GRADES}, **GRADE_WORDINGS, "一般": grades.GRADE_FAIR}
# "优、良、中、差" and "优、良、中 或 差", for messages and help texts.
GRADE_LIST = "、".join(GRADES)
GRADE_CHOICES = f"{'、'.join(GRADES[:-1])} 或 {GRADES[-1]}"
# "自评等级为“良好”" in a conclusion; longer wordings first so that 优秀 is not read as 优.
GRADE_IN_TEXT = re.compile(
    r"(?:等级|等次)\s*(?:为|是|:)?\s*[“\"]?("
    + "|".join(sorted((*GRADE_WORDINGS, *GRADES), key=len, reverse=True))
    + ")"
)
PROJECT_TYPES = {
    "常年项目": Project.ProjectType.RECURRING,
    "常年": Project.ProjectType.RECURRING,
    "经常性项目": Project.ProjectType.RECURRING,
    "一次性项目": Project.ProjectType.ONE_OFF,
    "一次性": Project.ProjectType.ONE_OFF,
}


def fold(name: object) -> str:
    """A name for comparison: full-width forms folded (NFKC) and every blank removed ("（一级）" = "(一级)")."""
    return "".join(clean_text(name).split())


def grade_named(text: str) -> str:
    """优 良 中 差 for a grade or one of its wordings ("良好" → "良"); "" for anything else."""
    return text if text in GRADES else GRADE_WORDINGS.get(text, "")


def grade_in_text(text: str) -> str:
    """The grade a sentence states ("自评等级为优秀。" → "优"); "" when it states none."""
    match = GRADE_IN_TEXT.search(text)
    return grade_named(match[1]) if match else ""
