"""The JSON error answer every JSON endpoint gives: `{"error": {"code": "...", "message": "..."}}`, the
code for programs, the message (translated) for people."""

from django.http import JsonResponse

__all__ = ["json_error"]


def json_error(status: int, code: str, message: str, **headers) -> JsonResponse:
    """`headers`: WWW_Authenticate="..." sets WWW-Authenticate."""
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response
