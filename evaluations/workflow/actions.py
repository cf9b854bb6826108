"""What every page that moves a record does with its POST: run the one service, tell the user how it went."""

from django.contrib import messages

from evaluations.workflow.services import WorkflowError

# PostgreSQL stores no NUL character in text; a browser never sends one, a crafted request may (issue 15).
UNSTORABLE = "\x00"
UNSTORABLE_MESSAGE = "填写的内容含有无法保存的控制字符，请删除后重新提交。"


def perform(request, service, done, *, posted: tuple[str, ...] = (), **kwargs):
    """Run ``service(actor=request.user, **kwargs)`` and flash ``done``, or the refusal's Chinese message.

    ``done`` is the success message, or a function of what the service returned that gives it.

    Each field named in ``posted`` is passed on as the page posted it (blank when absent); the service checks
    it; one holding a NUL character is refused here, as the database would refuse it. Returns what the service
    returned (the record), or None when it refused (nothing written).
    """
    fields = {name: request.POST.get(name, "") for name in posted}
    if any(UNSTORABLE in value for value in fields.values()):
        messages.error(request, UNSTORABLE_MESSAGE)
        return None
    try:
        result = service(actor=request.user, **fields, **kwargs)
    except WorkflowError as refused:
        messages.error(request, str(refused))
        return None
    messages.success(request, done(result) if callable(done) else done)
    return result
