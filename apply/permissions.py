"""Every access decision of the apply app, one function each. Inactive and anonymous users: False."""

__all__ = ["can_apply", "can_list_applications", "can_review_applications", "can_view_application",
           "can_fast_create"]

REVIEW_PERMISSION = "apply.change_instanceapplication"
VIEW_PERMISSION = "apply.view_applications"


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_apply(user) -> bool:
    return _active(user)


def can_review_applications(user) -> bool:
    """Accept, reject, submit and re-submit applications."""
    return _active(user) and user.has_perm(REVIEW_PERMISSION)


def can_list_applications(user) -> bool:
    """See every application (read-only with apply.view_applications)."""
    return _active(user) and (user.has_perm(VIEW_PERMISSION) or user.has_perm(REVIEW_PERMISSION))


def can_view_application(user, application) -> bool:
    return _active(user) and (application.applicant_id == user.pk or can_list_applications(user))


def can_fast_create(user) -> bool:
    """Create an instance in one step, without an application to review first."""
    return _active(user) and user.is_superuser
