"""download_mnist for real, against a local HTTP server on 127.0.0.1 (never the internet).

The server serves small synthetic IDX files under URL prefixes that choose its behaviour:
``/ok/`` serves the file, ``/404/`` answers 404, ``/short/`` announces a Content-Length larger
than the body, ``/early/`` closes the connection half-way through the body, ``/hang/`` never
answers (until the test ends).
"""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest

from entropy_ref.data import (MNIST_FILES, MNISTDataError, MNISTDownloadError, download_mnist,
                              load_mnist, md5_file, write_synthetic_mnist)
from entropy_ref.data import download as download_module


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        server = self.server
        server.requests.append(self.path)
        _, mode, name = self.path.split("/", 2)
        body = server.files.get(name)
        if mode == "hang":
            server.release.wait(10)
            return
        if mode == "404" or body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) + (100 if mode == "short" else 0)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if mode == "early" else body)
        self.close_connection = True

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def source(tmp_path) -> tuple[Path, dict[str, str]]:
    """Small synthetic MNIST files and their MD5s."""
    src = write_synthetic_mnist(tmp_path / "src", n_train=30, n_test=10, seed=5)
    return src, {role: md5_file(src / name) for role, name in MNIST_FILES.items()}


@pytest.fixture
def server(source):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files = {name: (source[0] / name).read_bytes() for name in MNIST_FILES.values()}
    httpd.requests, httpd.release = [], threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    httpd.url = lambda mode: f"http://127.0.0.1:{httpd.server_address[1]}/{mode}/"
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def refused_url() -> str:
    """A URL on a local port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _assert_same_files(dest: Path, src: Path) -> None:
    assert _listing(dest) == {name: (src / name).read_bytes() for name in MNIST_FILES.values()}


def test_success_writes_the_four_files_and_nothing_else(server, source, tmp_path):
    dest = tmp_path / "cache" / "mnist"
    assert download_mnist(dest, mirrors=[server.url("ok")], md5s=source[1],
                          progress=False) == dest
    _assert_same_files(dest, source[0])  # no temp files either
    assert load_mnist(dest, verbose=False).train_images.shape == (30, 28, 28)


def test_wrong_checksum_is_refused_and_cache_untouched(server, tmp_path):
    dest = tmp_path / "cache"
    dest.mkdir()
    (dest / "unrelated.txt").write_text("keep me")
    before = _listing(dest)
    with pytest.raises(MNISTDownloadError, match="MD5 mismatch") as info:
        download_mnist(dest, mirrors=[server.url("ok")], progress=False)  # canonical MD5s
    assert _listing(dest) == before
    assert isinstance(info.value, MNISTDataError) and isinstance(info.value, OSError)


def test_one_bad_file_discards_the_verified_others(server, source, tmp_path):
    sums = dict(source[1], test_labels="0" * 32)
    dest = tmp_path / "new" / "cache"
    with pytest.raises(MNISTDownloadError, match="t10k-labels-idx1-ubyte.gz"):
        download_mnist(dest, mirrors=[server.url("ok")], md5s=sums, progress=False)
    assert not (tmp_path / "new").exists()  # directories it created are removed again
    assert len(server.requests) == 4


@pytest.mark.parametrize("mode, match", [
    ("short", "transfer truncated: received"),
    ("early", "transfer truncated: received"),
    ("404", "HTTP 404"),
])
def test_bad_transfer_is_refused_and_leaves_nothing(server, source, tmp_path, mode, match):
    dest = tmp_path / "cache"
    dest.mkdir()
    with pytest.raises(MNISTDownloadError, match=match):
        download_mnist(dest, mirrors=[server.url(mode)], md5s=source[1], progress=False)
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("first", ["refused", "404", "short"])
def test_first_mirror_fails_second_works(server, source, tmp_path, refused_url, first):
    first_url = refused_url if first == "refused" else server.url(first)
    dest = tmp_path / "cache"
    download_mnist(dest, mirrors=[first_url, server.url("ok")], md5s=source[1], progress=False)
    _assert_same_files(dest, source[0])
    ok_requests = [r for r in server.requests if r.startswith("/ok/")]
    assert len(ok_requests) == 4


def test_timeout_moves_on_to_next_mirror(server, source, tmp_path):
    dest = tmp_path / "cache"
    download_mnist(dest, mirrors=[server.url("hang"), server.url("ok")], md5s=source[1],
                   timeout=0.2, progress=False)
    _assert_same_files(dest, source[0])


def test_every_mirror_failing_lists_each_attempt(server, source, tmp_path, refused_url):
    mirrors = [refused_url, server.url("404"), server.url("short")]
    with pytest.raises(MNISTDownloadError) as info:
        download_mnist(tmp_path / "cache", mirrors=mirrors, md5s=source[1], progress=False)
    message = str(info.value)
    assert "cannot connect" in message and "HTTP 404" in message and "truncated" in message
    assert all(m in message for m in mirrors)
    assert not (tmp_path / "cache").exists()


def test_keyboard_interrupt_leaves_nothing(server, source, tmp_path, monkeypatch):
    def interrupt(self, received):
        raise KeyboardInterrupt

    monkeypatch.setattr(download_module._Progress, "update", interrupt)
    dest = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        download_mnist(dest, mirrors=[server.url("ok")], md5s=source[1], progress=False)
    assert not dest.exists()


def test_present_valid_files_are_not_downloaded_again(server, source, tmp_path):
    dest = tmp_path / "cache"
    download_mnist(dest, mirrors=[server.url("ok")], md5s=source[1], progress=False)
    assert len(server.requests) == 4
    download_mnist(dest, mirrors=[server.url("ok")], md5s=source[1], progress=False)
    assert len(server.requests) == 4
    (dest / MNIST_FILES["train_labels"]).write_bytes(b"corrupt")  # invalid -> fetched again
    (dest / MNIST_FILES["test_images"]).unlink()                  # missing -> fetched again
    download_mnist(dest, mirrors=[server.url("ok")], md5s=source[1], progress=False)
    assert sorted(server.requests[4:]) == sorted(
        f"/ok/{MNIST_FILES[r]}" for r in ("train_labels", "test_images"))
    _assert_same_files(dest, source[0])


def test_progress_goes_to_stderr_only_when_asked(server, source, tmp_path, capsys):
    download_mnist(tmp_path / "a", mirrors=[server.url("ok")], md5s=source[1], progress=False)
    assert capsys.readouterr() == ("", "")
    download_mnist(tmp_path / "b", mirrors=[server.url("ok")], md5s=source[1], progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "train-images-idx3-ubyte.gz from 127.0.0.1" in err and "100%" in err
    download_mnist(tmp_path / "c", mirrors=[server.url("ok")], md5s=source[1])  # not a tty
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("kwargs, match", [
    ({"mirrors": ["ftp://example.org/"]}, "not an http"),
    ({"mirrors": []}, "no mirrors"),
    ({"timeout": 0}, "timeout"),
    ({"md5s": {"train_images": "x"}}, "exactly the keys"),
    ({"md5s": dict.fromkeys(MNIST_FILES, "not-hex")}, "not a hex MD5"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        download_mnist(tmp_path / "cache", **kwargs)
    assert not (tmp_path / "cache").exists()


def test_load_mnist_download_goes_to_first_place(server, source, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ENTROPY_REF_DATA", raising=False)
    monkeypatch.setattr(download_module, "MNIST_MIRRORS", (server.url("ok"),))
    monkeypatch.setattr(download_module, "MNIST_MD5", source[1])
    data = load_mnist(download=True, verbose=True)
    cache = tmp_path / "xdg" / "entropy_ref" / "mnist"
    _assert_same_files(cache, source[0])
    assert data.test_images.shape == (10, 28, 28)
    assert f"downloading MNIST into {cache}" in capsys.readouterr().err
    explicit = tmp_path / "explicit"
    load_mnist(explicit, download=True, verbose=False)
    _assert_same_files(explicit, source[0])
    assert len(server.requests) == 8
