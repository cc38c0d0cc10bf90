from allegro.messages.selectors import messages_unread_count


def unread_messages(request):
    """The unread threads beside the menu (of every account: a buyer of any of them may be waiting)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff and request.path.startswith("/admin/")):
        return {}
    if not user.has_perm("allegro.view_messagethread"):
        return {}
    return {"allegro_unread_messages": messages_unread_count()}
