"""What every page that moves a record does with its POST: run the one service, tell the user how it went."""

from django.contrib import messages

from evaluations.workflow.services import WorkflowError


def perform(request, service, done, *, posted: tuple[str, ...] = (), **kwargs):
    """Run ``service(actor=request.user, **kwargs)`` and flash ``done``, or the refusal's Chinese message.

    ``done`` is the success message, or a function of what the service returned that gives it.

    Each field named in ``posted`` is passed on as the page posted it (blank when absent); the service checks
    it. Returns what the service returned (the record), or None when it refused (nothing written).
    """
    fields = {name: request.POST.get(name, "") for name in posted}
    try:
        result = service(actor=request.user, **fields, **kwargs)
    except WorkflowError as refused:
        messages.error(request, str(refused))
        return None
    messages.success(request, done(result) if callable(done) else done)
    return result
