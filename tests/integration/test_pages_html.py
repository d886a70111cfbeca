"""The pages as the server sends them: tonight's couples in the HTML, the operator's photos
and number to text, the public menu, the favicon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, start_api

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a20000000049454e44ae426082"
)


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path) -> Iterator[Api]:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "robert.png").write_bytes(PNG)
    yield from start_api(sqlite_url, photos_dir=str(photos), sms_number="21523")


def test_the_vote_page_holds_tonights_couples_photos_and_number(site: Api) -> None:
    site.open_night(site.producer())
    html = site.client.get("/vote").text
    assert "Disney Night" in html
    assert "Loading" not in html
    assert 'src="/photos/robert"' in html  # the operator's photo
    assert ">WL<" in html  # a couple without one shows initials
    assert 'Text <strong class="keyword">HILARIA</strong> to' in html
    assert "21523" in html
    assert 'href="/control"' not in html
    assert 'href="/judge"' not in html
    photo = site.client.get("/photos/robert")
    assert photo.status_code == 200
    assert photo.content == PNG
    for missing in ("/photos/whitney", "/photos/..%2Fsecrets", "/photos/nobody"):
        assert site.client.get(missing).status_code == 404


def test_before_a_night_is_prepared_the_pages_still_render(site: Api) -> None:
    for page in ("/vote", "/results", "/receipt", "/judge", "/control"):
        answer = site.client.get(page)
        assert answer.status_code == 200, page
        assert '<link rel="icon" href="/static/favicon.svg"' in answer.text
        assert 'class="skip-link" href="#main"' in answer.text
    assert site.client.get("/favicon.ico").headers["content-type"] == "image/svg+xml"
