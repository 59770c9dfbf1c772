""""Ask an advocate" pings the advocate on call live, on the in-memory channel layer
(``tests/realtime`` tests the socket itself)."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.routing.models import WorkingHours

from ..factories import make_team, make_user
from ..realtime.test_live import communicator, session_cookie
from .helpers import suitable

pytestmark = pytest.mark.django_db(transaction=True)  # the consumer reads the session
ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}


def on_call(**fields):
    advocate = make_user(Role.ADVOCATE, **fields)
    advocate.teams.add(make_team(is_support=True))
    WorkingHours.objects.create(user=advocate, weekly_hours=ALWAYS)
    return advocate


def test_the_advocate_on_call_is_pinged_once_however_often_the_button_is_clicked():
    conversation = suitable("fr", subject="Facture en double")
    on_call(spoken_languages=["en"])
    francophone = on_call(spoken_languages=["fr", "en"], language="fr")
    teammate = make_user(Role.TEAMMATE, first_name="Grace", last_name="Hopper")
    client = Client()
    client.force_login(teammate)
    url = reverse("teamwork_ask", args=[conversation.pk])

    async def scenario():
        socket = communicator(await sync_to_async(session_cookie)(francophone))
        assert await socket.connect()
        await sync_to_async(client.post)(url, {"key": "double-click"})
        ping = await socket.receive_json_from(timeout=5)
        await sync_to_async(client.post)(url, {"key": "double-click"})
        second = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return ping, second

    ping, nothing_more = async_to_sync(scenario)()
    assert ping["type"] == "advocate.asked"
    assert ping["data"]["id"] == conversation.pk
    assert ping["data"]["url"] == reverse("conversation", args=[conversation.pk])
    assert "Grace Hopper" in ping["data"]["message"]
    assert "Facture en double" in ping["data"]["message"]
    assert nothing_more


def test_others_do_not_hear_a_ping_meant_for_the_advocate_on_call():
    conversation = suitable()
    on_call()
    bystander = make_user(Role.ADVOCATE)  # no team, no shift: not on call
    client = Client()
    client.force_login(make_user(Role.TEAMMATE))

    async def scenario():
        socket = communicator(await sync_to_async(session_cookie)(bystander))
        assert await socket.connect()
        await sync_to_async(client.post)(reverse("teamwork_ask", args=[conversation.pk]),
                                         {"key": "once"})
        nothing = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return nothing

    assert async_to_sync(scenario)()
