"""S5-S8, the scenarios about connections: https keep-alive, https with a fresh
connection per fetch (TLS resumption), HTTP/2 to one origin, and many origins
under a per-host cap. Each starts its own upstream (bench/upstream with
-origins, and -cert/-key/-h2/-close where it needs them) and runs the peers
through harness.Bench, which checks every run at the upstream.
"""
import os
import tempfile


def _tls(b, scenario: str):
    """(ca, cert, key) of run.sh's throwaway PKI, or None with a line saying why not."""
    d = b.a.tls_dir
    files = [os.path.join(d, f) for f in ("ca.pem", "server.pem", "server.key")] if d else []
    if not files or not all(os.path.exists(f) for f in files):
        print(f"{scenario}: skipped (no test CA: run.sh makes one with openssl, which is missing)")
        return None
    return files


def _go(b, url: str, n: int, c: int, *flags) -> list:
    return [b.a.gofetch, "-url", url, "-n", str(n), "-c", str(c), *flags]


def s5(b, n: int) -> None:
    c = 64
    pki = _tls(b, "S5")
    if not pki:
        return
    ca, cert, key = pki
    # The upstream offers only http/1.1 in ALPN, so every peer speaks HTTP/1.1
    # with its defaults (asyncfetch keeps http2 on).
    with b.upstream(["-origins", "1", "-cert", cert, "-key", key, "-h2=false"]) as up:
        url = up.origin_url(0, "/bytes?n=1024")
        print(f"S5 https keep-alive (TLS 1.3, HTTP/1.1): N={n} x 1 KiB, C={c}")
        b.wrk("S5", f"wrk -t2 -c{c} (ceiling, before)", url, c, b.a.wrk_seconds, proto="h1")
        for t in b.threads:
            b.asyncfetch("S5", f"asyncfetch t={t}, 1 POST of N", n, c, 1, n, c, t, 120, urls=[url],
                         extra=[f"--ca_file={ca}"], proto="h1")
        b.client("S5", "Go net/http (h2 off)", _go(b, url, n, c, "-ca", ca), n, c, 180, proto="h1")
        b.curl("S5", n, c, 180, url=url, args=["--cacert", ca, "--http1.1"], proto="h1")
        b.wrk("S5", f"wrk -t2 -c{c} (ceiling, after)", url, c, b.a.wrk_seconds, proto="h1")


def s6(b, n: int) -> None:
    n, c = min(n, 2000), 64
    pki = _tls(b, "S6")
    if not pki:
        return
    ca, cert, key = pki
    with b.upstream(["-origins", "1", "-cert", cert, "-key", key, "-h2=false", "-close"]) as up:
        url = up.origin_url(0, "/bytes?n=1024")
        print(f"S6 https, a fresh connection per fetch (Connection: close, TLS 1.3 resumption): N={n} x 1 KiB, C={c}")
        for t in b.threads:
            b.asyncfetch("S6", f"asyncfetch t={t}, 1 POST of N", n, c, 1, n, c, t, 120, urls=[url],
                         extra=[f"--ca_file={ca}"], proto="h1", fresh=True)
        b.client("S6", "Go net/http (no keep-alive)", _go(b, url, n, c, "-ca", ca, "-no-keepalive"), n, c, 180,
                 proto="h1", fresh=True)
        b.curl("S6", n, c, 180, url=url, args=["--cacert", ca, "--http1.1"], proto="h1", fresh=True)


def s7(b, n: int) -> None:
    c = 256
    pki = _tls(b, "S7")
    if not pki:
        return
    ca, cert, key = pki
    with b.upstream(["-origins", "1", "-cert", cert, "-key", key]) as up:
        url = up.origin_url(0, "/bytes?n=1024")
        # Go's server allows 250 streams per connection, so C=256 needs a second one.
        print(f"S7 HTTP/2 to one origin: N={n} x 1 KiB, C={c}")
        for t in b.threads:
            b.asyncfetch("S7", f"asyncfetch t={t}, 1 POST of N", n, c, 1, n, c, t, 120, urls=[url],
                         extra=[f"--ca_file={ca}"], proto="h2")
        if not b.a.smoke:
            b.client("S7", "Go net/http (h2)", _go(b, url, n, c, "-ca", ca, "-h2"), n, c, 180, proto="h2")


ORIGINS, PER_HOST = 50, 4


def s8(b, n: int) -> None:
    c = 256
    with b.upstream(["-origins", str(ORIGINS)]) as up:
        urls = [up.origin_url(i, "/delay?ms=2&n=1024") for i in range(ORIGINS)]
        ideal = n / (ORIGINS * PER_HOST) * 0.002
        print(f"S8 many hosts: N={n} x 2 ms over {ORIGINS} origins, {PER_HOST} per host, C={c} "
              f"(at most {ORIGINS * PER_HOST} in flight; ideal {ideal:.2f}s)")
        for t in b.threads:
            b.asyncfetch("S8", f"asyncfetch t={t}, 1 POST of N", n, c, 1, n, c, t, 120, urls=urls,
                         post=["-per-host", str(PER_HOST)], origin_cap=PER_HOST, ideal_s=ideal)
        with tempfile.NamedTemporaryFile("w", suffix=".urls") as f:
            f.write("\n".join(urls) + "\n")
            f.flush()
            b.client("S8", f"Go net/http (MaxConnsPerHost {PER_HOST})",
                     [b.a.gofetch, "-urls", f.name, "-n", str(n), "-c", str(c), "-max-conns-per-host",
                      str(PER_HOST)], n, c, 180, origin_cap=PER_HOST, ideal_s=ideal)


SCENARIOS = {"S5": s5, "S6": s6, "S7": s7, "S8": s8}
