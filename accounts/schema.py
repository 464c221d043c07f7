"""The personal token in the OpenAPI document: Swagger UI's "Authorize" offers it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A personal API token, made (and shown once) at /account/tokens/ or with "
                "POST /api/tokens/. Send it as `Authorization: Token slm_...`. The token acts "
                "for the organisation chosen when it was made and stops working when it "
                "expires, is revoked, or its user leaves that organisation."
            ),
        }
