"""A real HTTP client (httpx) against the live server (issue 16): list the services, the citizen allows the
client in the cabinet, the client posts in their name, follows the token, and finds the message once a
moderator has registered it (through the real moderation service)."""

from xml.etree import ElementTree

import httpx
import pytest
from django.test import Client

from accounts.models import ApiClient
from messages import services
from messages.models import Message
from tests.api.conftest import verify


@pytest.fixture
def api(live_server):
    with httpx.Client(base_url=f"{live_server.url}/open311/v2/", timeout=10) as client:
        yield client


def test_round_trip(api, live_server, api_client_key, citizen, moderator):
    api_client, key = api_client_key

    services_list = api.get("services.json")
    assert services_list.status_code == 200
    assert "potholes" in [s["service_code"] for s in services_list.json()]

    # Without the citizen's permission the client is refused.
    verify(citizen)
    payload = {
        "api_key": key,
        "service_code": "potholes",
        "email": citizen.email,
        "description": "Открытый люк у школы № 3",
        "address_string": "ул. Комсомольская, 12",
        "lat": "53.196",
        "long": "45.168",
    }
    refused = api.post("requests.json", data=payload)
    assert refused.status_code == 403
    assert refused.json()[0]["code"] == 403

    # The citizen allows it in the cabinet (the portal's page and the accounts service behind it).
    browser = Client()
    browser.force_login(citizen)
    page = browser.get("/cabinet/apps/")
    assert api_client.name in page.content.decode()
    assert browser.post("/cabinet/apps/", {"client": api_client.pk, "action": "allow"}).status_code == 302

    created = api.post("requests.json", data=payload)
    assert created.status_code == 201, created.text
    token = created.json()[0]["token"]
    assert api.get(f"tokens/{token}.json").json() == [{"token": token}]

    message = Message.objects.get(author=citizen)
    assert message.state == "submitted"
    listed = api.get("requests.json", params={"service_request_id": message.number})
    assert listed.json() == []  # on moderation: not public (§4.8)

    services.message_register(message=message, actor=moderator)

    assert api.get(f"tokens/{token}.json").json() == [{"service_request_id": message.number, "token": token}]
    found = api.get("requests.json", params={"service_request_id": message.number}).json()
    assert [r["service_request_id"] for r in found] == [message.number]
    assert found[0]["status"] == "open" and found[0]["lat"] == 53.196
    xml = ElementTree.fromstring(api.get(f"requests/{message.number}.xml").content)
    assert xml.find("request/service_request_id").text == message.number
    etag = api.get(f"requests/{message.number}.json").headers["etag"]
    assert api.get(f"requests/{message.number}.json", headers={"If-None-Match": etag}).status_code == 304

    # Revoked in the cabinet: the next post in the citizen's name is refused again.
    browser.post("/cabinet/apps/", {"client": api_client.pk, "action": "revoke"})
    assert api.post("requests.json", data=payload).status_code == 403
    assert ApiClient.objects.get().consents.get().revoked_at is not None
