from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # Public: the page's timer posts it when the login may already have ended.
    path("logout/", login_not_required(auth_views.LogoutView.as_view()), name="logout"),
    # Registration: public until the administrator's approval.
    path("register/", views.register, name="register"),
    path("register/complete/", views.register_complete, name="register_complete"),
    path("activate/<str:activation_key>/", views.activate, name="activate"),
    path("approve/<int:profile_id>/", views.approve, name="approve"),
    # Password reset: public.
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/done/", views.password_reset_done, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("reset/done/", views.password_reset_complete, name="password_reset_complete"),
    # Profile, as the original's /user/... URLs.
    path("profile/", views.profile, name="profile"),
    path("name_change/", views.profile_name, name="name_change"),
    path("mail_change/", views.profile_email, name="mail_change"),
    path("mail_change/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("other_change/", views.profile_contact, name="other_change"),
    path("pass_change/", views.profile_password, name="pass_change"),
    path("keys/", views.ssh_keys, name="ssh_keys"),
    path("keys/delete/<int:key_id>/", views.ssh_key_delete, name="ssh_key_delete"),
    path("idle/", views.idle_accounts, name="idle_accounts"),
    # -- user and group info
    path("info/user/<str:name>/", views.user_info, name="user_info"),
    path("info/group/<str:name>/", views.group_info, name="group_info"),
]
