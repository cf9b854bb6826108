"""The department reviewer's queue and the approve / return actions."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def review_queue(request):
    return render(request, "evaluations/review_queue.html", {})
