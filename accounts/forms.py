from django import forms

from .choices import DEFAULT_TOKEN_LIFETIME, TokenLifetime
from .models import NAME_MAX_LENGTH
from .selectors import token_organisations


class TokenCreateForm(forms.Form):
    # The service checks the name (required, unique among the user's tokens) for the page and
    # the API alike; the form only carries it.
    name = forms.CharField(
        required=False,
        max_length=NAME_MAX_LENGTH * 2,
        help_text="Where the token is used, e.g. 'ERP sync' or 'test rig 3'.",
    )
    organisation = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        help_text="The organisation the token acts for.",
    )
    lifetime_days = forms.TypedChoiceField(
        label="Expires after",
        coerce=int,
        choices=TokenLifetime.choices,
        initial=DEFAULT_TOKEN_LIFETIME,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = token_organisations(user=user)
