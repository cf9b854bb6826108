"""``nav`` in every template: the menu entries the signed-in user may open (policy.access.navigation)."""

from policy.access import navigation


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": navigation(user)}
