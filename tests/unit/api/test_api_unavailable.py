"""A service the action needs being out of reach (the mail relay) is a 503 with its own code."""

from __future__ import annotations

import json

from ballroom import errors
from ballroom.api.errors import ballroom_error_response, status_of


def test_mail_not_sent_is_a_503_naming_the_field() -> None:
    error = errors.MailNotSent("the mail server refused the address x@y.z", field="email")
    assert isinstance(error, errors.Unavailable)
    assert status_of(error) == 503
    assert status_of(errors.Unavailable("x")) == 503
    response = ballroom_error_response(error)
    assert response.status_code == 503
    assert json.loads(response.body) == {
        "code": "mail_not_sent",
        "message": "the mail server refused the address x@y.z",
        "field": "email",
    }
