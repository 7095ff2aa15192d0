/* Which OpenSSL allocations stay alive per server connection after a TLS handshake,
 * by source line of OpenSSL (CRYPTO_set_mem_functions), for docs/benchmarks.md
 * ("Memory per idle TLS connection"). The server context is set up as Python's ssl
 * sets up chinwag's (options, RELEASE_BUFFERS, cipher string, a verify callback that
 * accepts any client certificate); the client is freed after each handshake.
 *
 *   cc -O1 -o /tmp/tls-alloc-sites scripts/tls-alloc-sites.c -lssl -lcrypto   (libssl-dev)
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
 *       -keyout key.pem -out cert.pem -subj /CN=localhost
 *   /tmp/tls-alloc-sites 500 sock [cert.pem key.pem]   # N connections, variant words:
 *
 * sock (server on a socketpair; otherwise memory BIOs), new (no handshake), noverify,
 * tickets0, noticket, nocache, tls12, p256, chacha, aes128, ccert (client certificate),
 * freebuf (SSL_free_buffers after the handshake), combined with commas. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#define MAXSITES 4096
struct site { const char *file; int line; long live; long count; long usable; };
static struct site sites[MAXSITES];
static int nsites;
struct hdr { struct site *s; size_t n; size_t pad; size_t pad2; };

static struct site *find(const char *f, int l) {
    for (int i = 0; i < nsites; i++)
        if (sites[i].line == l && strcmp(sites[i].file, f) == 0) return &sites[i];
    sites[nsites].file = f; sites[nsites].line = l;
    return &sites[nsites++];
}
static void *m(size_t n, const char *f, int l) {
    struct hdr *h = malloc(n + sizeof *h);
    if (!h) return NULL;
    h->s = find(f, l); h->n = n; h->s->live += n; h->s->count++;
    h->s->usable += malloc_usable_size(h) - sizeof *h;
    return h + 1;
}
static void fr(void *p, const char *f, int l) {
    if (!p) return;
    struct hdr *h = (struct hdr *)p - 1;
    h->s->live -= h->n; h->s->count--;
    h->s->usable -= malloc_usable_size(h) - sizeof *h;
    free(h);
}
static void *r(void *p, size_t n, const char *f, int l) {
    if (!p) return m(n, f, l);
    struct hdr *h = (struct hdr *)p - 1;
    struct site *s = h->s; size_t old = h->n;
    s->usable -= malloc_usable_size(h) - sizeof *h;
    h = realloc(h, n + sizeof *h);
    s->live += (long)n - (long)old; h->n = n;
    s->usable += malloc_usable_size(h) - sizeof *h;
    return h + 1;
}

static int accept_any(int ok, X509_STORE_CTX *x) { return 1; }

static void snap(struct site *out) { memcpy(out, sites, sizeof sites); }

static int sockmode;
static int peerfd;
static int pump(SSL *c, SSL *s, BIO *cin, BIO *cout, BIO *sin, BIO *sout) {
    if (sockmode) {
        char b[20000];
        for (int i = 0; i < 20; i++) {
            int n;
            while ((n = BIO_read(cout, b, sizeof b)) > 0) write(peerfd, b, n);
            SSL_do_handshake(s);
            while ((n = read(peerfd, b, sizeof b)) > 0) BIO_write(cin, b, n);
            SSL_do_handshake(c);
            if (SSL_is_init_finished(c) && SSL_is_init_finished(s) && !BIO_pending(cout)) return 1;
        }
        return 0;
    }
    char buf[20000];
    for (int i = 0; i < 20; i++) {
        int n;
        while ((n = BIO_read(cout, buf, sizeof buf)) > 0) BIO_write(sin, buf, n);
        while ((n = BIO_read(sout, buf, sizeof buf)) > 0) BIO_write(cin, buf, n);
        SSL_do_handshake(c); SSL_do_handshake(s);
        if (SSL_is_init_finished(c) && SSL_is_init_finished(s) && !BIO_pending(cout) && !BIO_pending(sout)) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    int N = argc > 1 ? atoi(argv[1]) : 200;
    const char *variant = argc > 2 ? argv[2] : "";
    const char *cert = argc > 3 ? argv[3] : "cert.pem", *key = argc > 4 ? argv[4] : "key.pem";
    CRYPTO_set_mem_functions(m, r, fr);
    sockmode = strstr(variant, "sock") != NULL;
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(sctx, TLS1_2_VERSION);
    SSL_CTX_set_options(sctx, 0x82520050);
    SSL_CTX_set_mode(sctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_cipher_list(sctx, "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM");
    SSL_CTX_use_certificate_chain_file(sctx, cert);
    SSL_CTX_use_PrivateKey_file(sctx, key, SSL_FILETYPE_PEM);
    SSL_CTX_set_default_verify_paths(sctx);
    if (!strstr(variant, "noverify")) SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, accept_any);
    if (strstr(variant, "tickets0")) SSL_CTX_set_num_tickets(sctx, 0);
    if (strstr(variant, "noticket")) SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
    if (strstr(variant, "nocache")) SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    if (strstr(variant, "tls12")) SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    if (strstr(variant, "p256")) SSL_CTX_set1_groups_list(cctx, "P-256");
    if (strstr(variant, "chacha")) SSL_CTX_set_ciphersuites(cctx, "TLS_CHACHA20_POLY1305_SHA256");
    if (strstr(variant, "aes128")) SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256");
    if (strstr(variant, "ccert")) {
        SSL_CTX_use_certificate_chain_file(cctx, cert);
        SSL_CTX_use_PrivateKey_file(cctx, key, SSL_FILETYPE_PEM);
    }
    /* warm-up */
    for (int w = 0; w < 2; w++) {
        SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
        BIO *cin = BIO_new(BIO_s_mem()), *cout = BIO_new(BIO_s_mem());
        BIO *sin = BIO_new(BIO_s_mem()), *sout = BIO_new(BIO_s_mem());
        SSL_set_bio(c, cin, cout); SSL_set_bio(s, sin, sout);
        SSL_set_connect_state(c); SSL_set_accept_state(s);
        pump(c, s, cin, cout, sin, sout);
        SSL_free(c); SSL_free(s);
    }
    static struct site before[MAXSITES];
    snap(before);
    int nb = nsites;
    SSL **keep = calloc(N, sizeof *keep);
    char buf[65536];
    for (int i = 0; i < N; i++) {
        SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
        SSL_set_mode(s, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
        SSL_set_ex_data(s, 0, s);
        BIO *cin = BIO_new(BIO_s_mem()), *cout = BIO_new(BIO_s_mem());
        BIO *sin = NULL, *sout = NULL;
        int fds[2] = {-1, -1};
        if (sockmode) {
            socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
            fcntl(fds[0], F_SETFL, O_NONBLOCK); fcntl(fds[1], F_SETFL, O_NONBLOCK);
            peerfd = fds[1];
            SSL_set_bio(c, cin, cout); SSL_set_fd(s, fds[0]);
        } else {
            sin = BIO_new(BIO_s_mem()); sout = BIO_new(BIO_s_mem());
            SSL_set_bio(c, cin, cout); SSL_set_bio(s, sin, sout);
        }
        SSL_set_connect_state(c); SSL_set_accept_state(s);
        if (!strstr(variant, "new")) {
            if (!pump(c, s, cin, cout, sin, sout)) { fprintf(stderr, "no handshake\n"); return 1; }
            SSL_write(s, "hello hello hello\r\n", 19);
            int n = sockmode ? read(peerfd, buf, sizeof buf) : BIO_read(sout, buf, sizeof buf);
            BIO_write(cin, buf, n);
            SSL_read(c, buf, sizeof buf);
            SSL_write(c, "PING :x\r\n", 9);
            n = BIO_read(cout, buf, sizeof buf);
            if (sockmode) write(peerfd, buf, n); else BIO_write(sin, buf, n);
            SSL_read(s, buf, sizeof buf);
            SSL_read(s, buf, sizeof buf);
            if (strstr(variant, "freebuf")) SSL_free_buffers(s);
        }
        SSL_free(c);
        keep[i] = s;
    }
    if (!strstr(variant, "new") && keep[0]) {
        printf("# %s %s\n", SSL_get_version(keep[0]), SSL_get_cipher(keep[0]));
    }
    long total = 0, totalu = 0, totaln = 0;
    for (int i = 0; i < nsites; i++) {
        long live = sites[i].live - (i < nb ? before[i].live : 0);
        long cnt = sites[i].count - (i < nb ? before[i].count : 0);
        long us = sites[i].usable - (i < nb ? before[i].usable : 0);
        if (cnt == 0 && live == 0) continue;
        total += live; totalu += us; totaln += cnt;
        if (labs(live) >= N * 16)
            printf("%7.1f bytes %5.2f allocs  %s:%d\n", (double)live / N, (double)cnt / N, sites[i].file, sites[i].line);
    }
    printf("TOTAL %.1f requested, %.1f usable (+%.0f glibc header), %.1f allocations per connection [%s]\n",
           (double)total / N, (double)totalu / N, 8.0 * totaln / N, (double)totaln / N, variant);
    return 0;
}
