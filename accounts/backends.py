from django.contrib.auth.backends import AllowAllUsersModelBackend


class ActivationAwareBackend(AllowAllUsersModelBackend):
    """Checks the password of inactive users too, so the login form can tell them their account awaits
    activation (and refuse them); but an inactive user's existing sessions no longer authenticate."""

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
