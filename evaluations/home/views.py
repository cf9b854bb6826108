from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from evaluations.home.selectors import home_summary_for


@login_required
def home(request):
    """The user's starting page: what is waiting for them, by role."""
    return render(request, "accounts/home.html", {"summary": home_summary_for(request.user)})
