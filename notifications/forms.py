"""The compose form: subject, body (a Django template) and the chosen recipient ids, resolved on clean."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Notification
from .selectors import parse_recipient_id, resolve_recipients
from .templating import TemplateSyntaxError, compile_body

__all__ = ["NotificationForm"]

MAX_RECIPIENT_IDS = 200


class NotificationForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=Notification._meta.get_field("subject").max_length,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 12, "class": "form-control font-monospace"}),
        help_text=_("Plain text, sent to each recipient alone. Django template syntax works: {{ user.full_name }}, "
                    "and {% for instance in instances %}{{ instance }} on {{ instance.cluster }}{% endfor %} lists "
                    "that recipient's affected instances."))
    to = forms.Field(label=_("Recipients"), widget=forms.MultipleHiddenInput,
                     error_messages={"required": _("Choose at least one recipient.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recipient_ids = []
        self.resolution = None
        self.compiled_body = None

    def clean_to(self):
        raw = [value for value in self.cleaned_data["to"] if value.strip()]
        if not raw:
            raise forms.ValidationError(self.fields["to"].error_messages["required"], code="required")
        if len(raw) > MAX_RECIPIENT_IDS:
            raise forms.ValidationError(_("Choose at most %(count)d recipients (clusters, nodes or groups reach "
                                          "many people each)."), code="too_many", params={"count": MAX_RECIPIENT_IDS})
        parsed, bad = [], []
        for value in raw:
            rid = parse_recipient_id(value)
            if rid is None:
                bad.append(value)
            elif rid not in parsed:
                parsed.append(rid)
        if bad:
            raise forms.ValidationError(_("Not a recipient: %(ids)s."), code="bad_id",
                                        params={"ids": ", ".join(value[:100] for value in bad)})
        self.recipient_ids = parsed
        return [rid.raw for rid in parsed]

    def clean_body(self):
        body = self.cleaned_data["body"]
        try:
            self.compiled_body = compile_body(body)
        except TemplateSyntaxError as exc:
            raise forms.ValidationError(_("The message is not a valid template: %(error)s"), code="template",
                                        params={"error": exc}) from exc
        return body

    def clean(self):
        cleaned = super().clean()
        if self.recipient_ids and "to" not in self.errors:
            self.resolution = resolve_recipients(self.recipient_ids)
            for problem in self.resolution.problems:
                self.add_error("to", problem)
            if not self.resolution.problems and not self.resolution.recipients:
                self.add_error("to", _("These recipients reach nobody with an e-mail address."))
        return cleaned
