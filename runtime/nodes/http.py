"""The HTTP request node: calls a URL a user chose, through the outbound guard, and outputs the
answer's status, headers and body (parsed as well when it is JSON).

Every request and every redirect hop goes through `runtime.outbound`'s guard with the run's
OUTBOUND policy, so a workflow cannot reach loopback, private, link-local or cloud-metadata
addresses unless an instance admin allowed them. A 4xx or 5xx answer is an output like any
other (Dify's behaviour) unless `fail_on_error_status` is on; what cannot be answered (refused,
timed out, too large, unreachable) fails the node with a typed error, so its error strategy
(default outputs, fail branch, retry) applies.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

import httpx
from pydantic import Field, ValidationInfo, field_validator

from runtime.errors import HttpHeaderError, HttpStatusError, HttpUrlError
from runtime.masking import Masker
from runtime.messages import NAME_HINT, NAME_PATTERN
from runtime.nodes._http import (
    decode_text,
    header_dict,
    json_template_problem,
    parse_json,
    read_bounded,
    render_json,
    typed_errors,
    url_problem,
)
from runtime.nodes.base import (
    TEMPLATE,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
    shown_when,
)
from runtime.nodes.registry import register
from runtime.outbound import guarded_client
from runtime.resources import ENVIRONMENT, OUTBOUND
from runtime.spec import AppMode
from runtime.variables import Selector, VariablePool, extract_references, render

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
BodyType = Literal["none", "json", "x-www-form-urlencoded", "raw-text"]
AuthType = Literal["none", "bearer", "basic", "api-key"]
HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"  # RFC 9110's token
HEADER_HINT: dict[str, Any] = {
    "hint": "use letters, digits and - (a header name such as X-Request-Id)"
}
_NAME = re.compile(NAME_PATTERN)
_CONTENT_TYPES: Mapping[str, str] = {
    "json": "application/json",
    "x-www-form-urlencoded": "application/x-www-form-urlencoded",
    "raw-text": "text/plain; charset=utf-8",
}


class HeaderRow(NodeConfig):
    key: str = Field(pattern=HEADER_NAME, title="Name", json_schema_extra=HEADER_HINT)
    value: str = Field("", json_schema_extra=TEMPLATE)


class ParamRow(NodeConfig):
    key: str = Field(min_length=1, title="Name")
    value: str = Field("", json_schema_extra=TEMPLATE)


class HttpBody(NodeConfig):
    type: BodyType = Field("none", title="Type")
    data: str = Field(
        "",
        title="Content",
        description="JSON: a reference inside quotes goes in as text, one outside quotes as"
        " its JSON value ({{#start.n#}} stays a number).",
        json_schema_extra={**TEMPLATE, **shown_when("type", "json", "raw-text")},
        validate_default=True,
    )
    form: list[ParamRow] = Field(
        default_factory=list,
        title="Form fields",
        json_schema_extra=shown_when("type", "x-www-form-urlencoded"),
    )

    @field_validator("data")
    @classmethod
    def _json(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("type") == "json" and (problem := json_template_problem(value)):
            raise ValueError(problem)
        return value


class HttpAuth(NodeConfig):
    type: AuthType = Field("none", title="Type")
    username: str = Field("", title="User name", json_schema_extra=shown_when("type", "basic"))
    header: str = Field(
        "X-API-Key",
        title="Header name",
        pattern=HEADER_NAME,
        json_schema_extra={**HEADER_HINT, **shown_when("type", "api-key")},
    )
    secret: str = Field(
        "",
        title="Secret",
        description="The name of the app's environment variable (Env, of type secret) that"
        " holds the token, password or key; traces never show it.",
        json_schema_extra=shown_when("type", "bearer", "basic", "api-key"),
        validate_default=True,
    )

    @field_validator("secret")
    @classmethod
    def _named(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("type", "none") == "none":
            return value
        if not value:
            raise ValueError("name the environment variable that holds the secret")
        if not _NAME.match(value):
            raise ValueError(NAME_HINT)
        return value


class HttpTimeouts(NodeConfig):
    connect: float = Field(
        10, gt=0, le=60, title="Connect (s)", description="Seconds to wait for a connection."
    )
    read: float = Field(
        60,
        gt=0,
        le=600,
        title="Read (s)",
        description="Seconds to wait for each part of the answer.",
    )


class HttpRequestConfig(NodeConfig):
    method: HttpMethod = "GET"
    url: str = Field(
        min_length=1,
        title="URL",
        description="http:// or https://; may hold {{#node.field#}} and {{#env.NAME#}}.",
        json_schema_extra=TEMPLATE,
    )
    headers: list[HeaderRow] = Field(default_factory=list)
    params: list[ParamRow] = Field(default_factory=list, title="Query parameters")
    body: HttpBody = Field(default_factory=HttpBody, title="Body")
    auth: HttpAuth = Field(default_factory=HttpAuth, title="Authorization")
    timeout: HttpTimeouts = Field(default_factory=HttpTimeouts, title="Timeouts")
    follow_redirects: bool = Field(True, title="Follow redirects")
    max_redirects: int = Field(
        5,
        ge=0,
        le=10,
        title="Redirects at most",
        json_schema_extra=shown_when("follow_redirects", True),
    )
    fail_on_error_status: bool = Field(
        False,
        title="Fail on 4xx/5xx",
        description="Off: such an answer is an output like any other (see status_code).",
    )
    max_response_bytes: int | None = Field(
        None,
        ge=1,
        title="Largest response (bytes)",
        description="Fail the node if the answer's body is larger. Empty: the instance's limit"
        " (WEFT_MAX_RESPONSE_BYTES, 10 MiB by default), which is also the most.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if "{{#" not in value and value.strip() and (problem := url_problem(value)):
            raise ValueError(problem)
        return value


@register("http_request", version=1)
class HttpRequestNode(Node[HttpRequestConfig]):
    type_title = "HTTP request"
    category = "tools"
    description = "Call a URL; its status, headers and body come out (parsed too when JSON)."
    output_types: ClassVar[Mapping[str, VarType]] = {
        "status_code": "number",
        "headers": "object",
        "body": "string",
        "json": "any",
    }
    needs = (OUTBOUND, ENVIRONMENT)
    palette_rank = 35

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """A GET with the URL, the one thing to fill in, left empty."""
        return {**super().default_config(mode), "url": ""}

    def templates(self) -> list[str]:
        """Every text of the config that may hold references (the body's only for its type)."""
        cfg = self.config
        texts = [cfg.url, *(h.value for h in cfg.headers), *(p.value for p in cfg.params)]
        if cfg.body.type in ("json", "raw-text"):
            texts.append(cfg.body.data)
        elif cfg.body.type == "x-www-form-urlencoded":
            texts.extend(f.value for f in cfg.body.form)
        return texts

    def references(self) -> list[Selector]:
        """The references in the URL, header and parameter values, and the body."""
        refs = [ref for text in self.templates() for ref in extract_references(text)]
        return list(dict.fromkeys(refs))

    def max_bytes(self, ctx: NodeContext) -> int:
        """The response size limit: the node's own, at most the run's."""
        own = self.config.max_response_bytes
        limit = ctx.limits.max_response_bytes
        return limit if own is None else min(own, limit)

    def authorize(self, headers: list[tuple[str, str]], ctx: NodeContext) -> tuple[str, ...]:
        """Add the auth header (its secret from the app's environment); return every form of
        the credential it sent (header value, secret, basic's token), or () without auth."""
        auth = self.config.auth
        if auth.type == "none":
            return ()
        secret = ctx.get(ENVIRONMENT).get(auth.secret)
        name = "Authorization"
        forms: tuple[str, ...] = (f"Bearer {secret}", secret)
        if auth.type == "basic":
            token = base64.b64encode(f"{auth.username}:{secret}".encode()).decode()
            forms = (f"Basic {token}", token, secret)
        elif auth.type == "api-key":
            name, forms = auth.header, (secret,)
        headers[:] = [(k, v) for k, v in headers if k.lower() != name.lower()]
        headers.append((name, forms[0]))
        return forms

    def content(self, pool: VariablePool) -> bytes | None:
        """The request body, rendered for its type (None for none)."""
        body = self.config.body
        if body.type == "json":
            return render_json(body.data, pool.lookup).encode()
        if body.type == "raw-text":
            return render(body.data, pool).encode()
        if body.type == "x-www-form-urlencoded":
            return urlencode([(f.key, render(f.value, pool)) for f in body.form]).encode()
        return None

    def request(
        self, client: httpx.AsyncClient, ctx: NodeContext
    ) -> tuple[httpx.Request, tuple[str, ...]]:
        """The request to send, and the forms of the credential it carries (or ())."""
        cfg, pool = self.config, ctx.pool
        url = render(cfg.url, pool).strip()
        if problem := url_problem(url):
            raise HttpUrlError(f"the URL {url!r} {problem}")
        headers = [(h.key, render(h.value, pool)) for h in cfg.headers]
        for key, value in headers:
            if "\r" in value or "\n" in value:
                raise HttpHeaderError(f"the value of the header {key} holds a line break")
        auth = self.authorize(headers, ctx)
        content = self.content(pool)
        if content is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", _CONTENT_TYPES[cfg.body.type]))
        params: list[tuple[str, str | int | float | bool | None]] = [
            (p.key, render(p.value, pool)) for p in cfg.params
        ]
        # merged into the URL's own query: httpx's `params=` would replace it
        target = httpx.URL(url).copy_merge_params(params) if params else url
        encoded = [(k.encode(), v.encode()) for k, v in headers]  # UTF-8: httpx refuses non-ASCII
        request = client.build_request(cfg.method, target, headers=encoded, content=content)
        return request, auth

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Send the request through the guard; output the answer. The metadata's `request`
        (for the trace) is what was sent, the secret header's value masked."""
        cfg = self.config
        timeout = httpx.Timeout(cfg.timeout.read, connect=cfg.timeout.connect)
        policy = ctx.get(OUTBOUND)
        async with guarded_client(
            policy,
            timeout=timeout,
            follow_redirects=cfg.follow_redirects,
            max_redirects=cfg.max_redirects,
        ) as client:
            request, auth = self.request(client, ctx)
            async with typed_errors(request.url, timeout):
                response = await client.send(request, stream=True)
                try:
                    limit = self.max_bytes(ctx)
                    raw = b"" if cfg.method == "HEAD" else await read_bounded(response, limit)
                finally:
                    await response.aclose()
        if cfg.fail_on_error_status and response.status_code >= 400:
            raise HttpStatusError(
                f"{response.url.host} answered {response.status_code} {response.reason_phrase}"
            )
        text = decode_text(raw, response)
        outputs = {
            "status_code": response.status_code,
            "headers": header_dict(response.headers),
            "body": text,
            "json": parse_json(text, response),
        }
        sent = {"method": request.method, "url": str(request.url), "headers": dict(request.headers)}
        if auth:  # a server may echo the credential back: in any form the node made, it is masked
            hidden = Masker(auth)
            outputs, sent = hidden.value(outputs), hidden.value(sent)
        yield Done(outputs, metadata={"request": sent})
