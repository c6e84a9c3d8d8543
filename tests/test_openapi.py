"""Swagger UI is a real interface for coordinators: everything is documented and callable."""

from __future__ import annotations

import httpx

from clockify_tracker.clockify.webhook_endpoints import webhook_routes


async def test_every_operation_has_a_summary_and_the_docs_page_loads(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert operations
    assert [f"{m} {p}" for p, m, op in operations if not op.get("summary")] == []
    assert (await client.get("/docs")).status_code == 200


async def test_webhook_routes_are_documented_with_their_signature_and_body(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    served = {route.path for route in webhook_routes}

    # The receivers are the POST operations; GET /api-clockify/webhook/test-email is an
    # ordinary route that only shares the first implementation's prefix.
    documented = {
        path for path, item in schema["paths"].items() if "webhook" in path and "post" in item
    }
    assert documented == served
    for path in served:
        operation = schema["paths"][path]["post"]
        assert operation["security"] == [{"clockify_signature": []}]
        body = operation["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/TimeEntryPayload"}
        assert body["example"]["timeInterval"]["duration"] == "PT26S"
        assert {"202", "200", "401", "422"} <= set(operation["responses"])
    assert (
        schema["components"]["securitySchemes"]["clockify_signature"]["name"]
        == "Clockify-Signature"
    )
    assert "TimeInterval" in schema["components"]["schemas"]


async def test_auth_schemes_are_offered(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"cookie", "bearer_jwt", "service_token", "clockify_signature"} <= set(
        schema["components"]["securitySchemes"]
    )
    # The coordinators' routes accept both the service token and the cookie from the page.
    get_all = schema["paths"]["/api-clockify/sessions/getAll"]["get"]["security"]
    assert {"service_token"} in [set(s) for s in get_all]
    assert {"cookie"} in [set(s) for s in get_all]


async def test_422_bodies_are_documented_as_the_handlers_send_them(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    search = schema["paths"]["/api-clockify/sessions/search/"]["get"]["responses"]["422"]
    login = schema["paths"]["/api/auth/login"]["post"]["responses"]["422"]
    assert search["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert login["content"]["application/json"]["schema"]["$ref"].endswith("/EnvelopeError")
    assert "HTTPValidationError" not in schema["components"]["schemas"]

    actual = await client.get("/api-clockify/sessions/search/", params={"startDate": "ayer"},
                              headers={"Authorization": "test-secret-token-value"})  # fmt: skip
    assert actual.status_code == 422
    assert set(schema["components"]["schemas"]["ErrorResponse"]["required"]) <= set(actual.json())
