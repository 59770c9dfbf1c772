"""What an agent sees of a message: new text first, history and signature folded, inline
images from the message itself, remote images only on request."""

import pytest
from django.urls import reverse

from comptoir.conversations.display import message_body
from comptoir.conversations.inbound import InboundAttachment
from comptoir.email.quoting import split_signature

from ..factories import make_message

pytestmark = pytest.mark.django_db

REPLY = """Thanks, that fixed it!

On Mon, Jan 6, 2025 at 10:00 AM Support <support@comptoir.test> wrote:
> Please clear your cache.
> Best, Ada
"""


def test_quoted_history_is_folded_with_the_original_one_click_away(advocate_client):
    message = make_message(text=REPLY)
    body = message_body(message)
    assert "Thanks, that fixed it!" in body.html
    assert "clear your cache" not in body.html
    assert "clear your cache" in body.original
    page = advocate_client.get(reverse("conversation", args=[message.conversation_id]))
    html = page.content.decode()
    assert '<details class="original">' in html
    assert html.index("Thanks, that fixed it!") < html.index("<details")


def test_a_message_without_history_is_shown_whole():
    message = make_message(text="Hello, my invoice is wrong.\n\nRegards")
    body = message_body(message)
    assert body.original == ""
    assert "my invoice is wrong" in body.html


def test_signature_is_folded():
    text, signature = split_signature("Works now.\n\n-- \nAna Lima\nACME Corp\n+33 1 23 45 67")
    assert text == "Works now."
    assert signature.startswith("-- ")
    assert split_signature("Merci !\n\nEnvoyé de mon iPhone") == ("Merci !", "Envoyé de mon iPhone")
    # a line in the middle that looks like a phone footer is the customer's text
    assert split_signature("Sent from my iPhone\nbut it crashed") == (
        "Sent from my iPhone\nbut it crashed", "")
    body = message_body(make_message(text="Works now.\n-- \nAna"))
    assert "Ana" not in body.html and "Ana" in body.original


def test_remote_images_wait_for_the_agent(advocate_client):
    message = make_message(text="see", html='<p>see <img src="https://track.example/o.gif"></p>')
    assert message_body(message).remote_images
    page = advocate_client.get(reverse("conversation", args=[message.conversation_id]))
    html = page.content.decode()
    assert ' src="https://track.example' not in html
    assert 'data-remote-src="https://track.example/o.gif"' in html
    assert "Load remote images" in html


def test_inline_images_point_at_the_messages_own_attachment(advocate_client):
    message = make_message(
        text="see", html='<p><img src="cid:shot.png"><img src="cid:evil.svg"></p>',
        attachments=(InboundAttachment("shot.png", "image/png", b"\x89PNG..."),
                     InboundAttachment("evil.svg", "image/svg+xml", b"<svg onload=x>")),
    )
    png = message.attachments.get(filename="shot.png")
    svg = message.attachments.get(filename="evil.svg")
    html = message_body(message).html
    assert f'src="{reverse("attachment_inline", args=[png.pk])}"' in html
    assert "cid:evil.svg" not in html  # never inline: an SVG can carry script
    response = advocate_client.get(reverse("attachment_inline", args=[png.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert advocate_client.get(reverse("attachment_inline", args=[svg.pk])).status_code == 404
