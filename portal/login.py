"""Sign-in, throttled: failed attempts are counted per account and per address
(WEFT_LOGIN_RATE, kernel/throttle.py); past the rate, every attempt from that account or
address gets 429 with Retry-After, whatever the password, until the window ends."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse

from kernel import throttle


def _counters(request: HttpRequest) -> list[str]:
    account = str(request.POST.get("username", "")).strip().lower()
    digest = hashlib.sha256(account.encode()).hexdigest()[:32]  # no address in cache keys
    return [f"login-account:{digest}", f"login-address:{request.META.get('REMOTE_ADDR', '')}"]


class ThrottledLoginView(LoginView):
    """Django's LoginView with the sign-in throttle."""

    template_name = "portal/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Refuse while the account or the address is over the rate, else sign in."""
        rate = throttle.parse_rate(settings.WEFT_LOGIN_RATE)
        if rate is not None:
            wait = max(throttle.peek(name, rate) for name in _counters(request))
            if wait:
                return self._refused(wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        """Count the failed attempt against the account and the address."""
        rate = throttle.parse_rate(settings.WEFT_LOGIN_RATE)
        if rate is not None:
            for name in _counters(self.request):
                throttle.hit(name, rate)
        return super().form_invalid(form)

    def _refused(self, wait_s: float) -> HttpResponse:
        wait = max(1, math.ceil(wait_s))
        form = self.get_form()
        form.errors.clear()  # only the throttle's message, not a password check's
        form.add_error(None, f"Too many sign-in attempts. Try again in {wait} seconds.")
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response
