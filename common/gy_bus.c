/*  gy_bus — see gy_bus.h. */
#include "gy_bus.h"

#include <assert.h>
#include <czmq.h>
#include <string.h>
#include <sys/stat.h>

#include "gy_util.h"

struct gy_bus_msg {
    zmsg_t *frames;
    size_t routing; /* how many leading frames route the reply (ROUTER) */
};

struct gy_bus_socket {
    gy_bus_t *bus;
    zsock_t *zsock;
    gy_bus_type_t type;
    uv_poll_t poll;    /* watches ZMQ_FD */
    uv_idle_t redrain; /* runs once after a send to re-check ZMQ_EVENTS */
    int handles_open;  /* the last close callback frees the socket */
    gy_bus_msg_cb *cb;
    void *arg;
    struct gy_bus_socket *next;
};

struct gy_bus {
    uv_loop_t *loop;
    zactor_t *auth; /* zauth, when CURVE is on */
    zcert_t *server_cert;
    gy_bus_socket_t *sockets;
};

static void s_drain(gy_bus_socket_t *sock);

gy_bus_t *gy_bus_new(uv_loop_t *loop, const char *server_cert, const char *clients_dir)
{
    /*  CZMQ would otherwise install its own SIGINT handler; the services
     *  handle signals through libuv. */
    zsys_handler_set(NULL);
    gy_bus_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    if (!server_cert != !clients_dir) {
        gy_log_error("CURVE needs both a server certificate and a clients folder");
        goto fail;
    }
    if (server_cert) {
        self->server_cert = zcert_load(server_cert);
        if (!self->server_cert || strlen(zcert_secret_txt(self->server_cert)) != 40 ||
            strcmp(zcert_secret_txt(self->server_cert),
                   "0000000000000000000000000000000000000000") == 0) {
            gy_log_error("could not load the CURVE server certificate \"%s\"", server_cert);
            gy_log_error("hint: create one with gy-keygen DIR NAME and point to NAME_secret.");
            goto fail;
        }
        if (!zsys_file_exists(clients_dir)) {
            gy_log_error("CURVE clients folder \"%s\" does not exist", clients_dir);
            goto fail;
        }
        self->auth = zactor_new(zauth, NULL);
        if (!self->auth) {
            gy_log_error("could not start the ZAP authenticator");
            goto fail;
        }
        zstr_sendx(self->auth, "CURVE", clients_dir, NULL);
        zsock_wait(self->auth);
        gy_log_info("bus: CURVE on, clients allowed from \"%s\"", clients_dir);
    }
    return self;
fail:
    gy_bus_destroy(&self);
    return NULL;
}

bool gy_bus_curve(const gy_bus_t *self)
{
    return self->server_cert != NULL;
}

static void s_socket_close_cb(uv_handle_t *handle)
{
    gy_bus_socket_t *sock = handle->data;
    if (--sock->handles_open == 0) {
        zsock_destroy(&sock->zsock);
        free(sock);
    }
}

void gy_bus_destroy(gy_bus_t **self_p)
{
    assert(self_p);
    gy_bus_t *self = *self_p;
    if (!self)
        return;
    gy_bus_socket_t *sock = self->sockets;
    while (sock) {
        gy_bus_socket_t *next = sock->next;
        /*  The ZeroMQ socket stays open until both handles are closed: the
         *  poll handle watches its file descriptor. */
        uv_close((uv_handle_t *)&sock->poll, s_socket_close_cb);
        uv_close((uv_handle_t *)&sock->redrain, s_socket_close_cb);
        sock = next;
    }
    zactor_destroy(&self->auth);
    zcert_destroy(&self->server_cert);
    free(self);
    *self_p = NULL;
}

static void s_on_poll(uv_poll_t *handle, int status, int events)
{
    s_drain(handle->data);
}

static void s_on_redrain(uv_idle_t *handle)
{
    uv_idle_stop(handle);
    s_drain(handle->data);
}

static void s_drain(gy_bus_socket_t *sock)
{
    /*  Bounded so one busy socket cannot starve the loop; if input remains
     *  we come back through the idle handle. */
    for (int i = 0; i < 256; i++) {
        if (!(zsock_events(sock->zsock) & ZMQ_POLLIN))
            return;
        zmsg_t *frames = zmsg_recv_nowait(sock->zsock);
        if (!frames)
            return;
        if (!sock->cb) {
            zmsg_destroy(&frames);
            continue;
        }
        gy_bus_msg_t *msg = gy_calloc(1, sizeof *msg);
        msg->frames = frames;
        if (sock->type == GY_BUS_ROUTER) {
            size_t n = zmsg_size(frames);
            msg->routing = n > 1 ? n - 1 : 0;
        }
        sock->cb(sock->arg, sock, msg);
    }
    uv_idle_start(&sock->redrain, s_on_redrain);
}

/*  Liveness of connections (ZMTP 3.1 heartbeats, libzmq >= 4.2). */
#define S_HEARTBEAT_IVL_MS     2000
#define S_HEARTBEAT_TIMEOUT_MS 10000
#define S_CONNECT_TIMEOUT_MS   5000
#define S_RECONNECT_IVL_MAX_MS 5000

static zsock_t *s_zsock_new(gy_bus_type_t type)
{
    static const int ztypes[] = {ZMQ_PUB, ZMQ_SUB, ZMQ_ROUTER, ZMQ_DEALER, ZMQ_REQ};
    zsock_t *zsock = zsock_new(ztypes[type]);
    if (!zsock) {
        gy_log_error("could not create a ZeroMQ socket");
        return NULL;
    }
    zsock_set_linger(zsock, 0);
    zsock_set_sndhwm(zsock, 100000);
    zsock_set_rcvhwm(zsock, 100000);
    /*  Links between sites fail without a word (a cable, a firewall, a
     *  peer that restarted while cut off).  ZMTP heartbeats find a dead
     *  connection in seconds instead of TCP's hours, and a connect attempt
     *  that hangs in SYN back-off is given up and retried, so a link that
     *  returns is used again within seconds (docs/bus.md, "Liveness"). */
    zsock_set_heartbeat_ivl(zsock, S_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout(zsock, S_HEARTBEAT_TIMEOUT_MS);
    zsock_set_heartbeat_ttl(zsock, S_HEARTBEAT_TIMEOUT_MS);
    zsock_set_connect_timeout(zsock, S_CONNECT_TIMEOUT_MS);
    zsock_set_reconnect_ivl_max(zsock, S_RECONNECT_IVL_MAX_MS);
    return zsock;
}

static gy_bus_socket_t *s_socket_watch(gy_bus_t *self, zsock_t *zsock, gy_bus_type_t type,
                                       gy_bus_msg_cb *cb, void *arg);

gy_bus_socket_t *gy_bus_bind(gy_bus_t *self, gy_bus_type_t type, const char *endpoint,
                             gy_bus_msg_cb *cb, void *arg)
{
    zsock_t *zsock = s_zsock_new(type);
    if (!zsock)
        return NULL;
    if (self->server_cert) {
        zcert_apply(self->server_cert, zsock);
        zsock_set_curve_server(zsock, 1);
        zsock_set_zap_domain(zsock, "gongyi");
    }
    if (zsock_bind(zsock, "%s", endpoint) < 0) {
        gy_log_error("could not bind the bus endpoint \"%s\": %s", endpoint,
                     zmq_strerror(zmq_errno()));
        zsock_destroy(&zsock);
        return NULL;
    }
    gy_log_info("bus: bound %s", endpoint);
    return s_socket_watch(self, zsock, type, cb, arg);
}

gy_bus_socket_t *gy_bus_client(gy_bus_t *self, gy_bus_type_t type, const char *client_cert,
                               const char *server_cert, gy_bus_msg_cb *cb, void *arg)
{
    assert(!client_cert == !server_cert);
    zsock_t *zsock = s_zsock_new(type);
    if (!zsock)
        return NULL;
    /*  Peers may be named by IPv6 addresses (a headless Service can
     *  resolve to them). */
    zsock_set_ipv6(zsock, 1);
    if (client_cert) {
        zcert_t *mine = zcert_load(client_cert);
        zcert_t *server = zcert_load(server_cert);
        bool ok = true;
        if (!mine || strlen(zcert_secret_txt(mine)) != 40 ||
            strcmp(zcert_secret_txt(mine), "0000000000000000000000000000000000000000") == 0) {
            gy_log_error("could not load the CURVE client certificate \"%s\"", client_cert);
            gy_log_error("hint: create one with gy-keygen DIR NAME and point to NAME_secret.");
            ok = false;
        } else if (!server) {
            gy_log_error("could not load the CURVE server certificate \"%s\"", server_cert);
            ok = false;
        }
        if (ok) {
            zcert_apply(mine, zsock);
            zsock_set_curve_serverkey(zsock, zcert_public_txt(server));
        }
        zcert_destroy(&server);
        zcert_destroy(&mine);
        if (!ok) {
            zsock_destroy(&zsock);
            return NULL;
        }
    }
    return s_socket_watch(self, zsock, type, cb, arg);
}

int gy_bus_connect(gy_bus_socket_t *sock, const char *endpoint)
{
    if (zsock_connect(sock->zsock, "%s", endpoint) < 0) {
        gy_log_error("could not connect to the bus endpoint \"%s\": %s", endpoint,
                     zmq_strerror(zmq_errno()));
        return -1;
    }
    gy_log_info("bus: connecting to %s", endpoint);
    return 0;
}

int gy_bus_disconnect(gy_bus_socket_t *sock, const char *endpoint)
{
    if (zsock_disconnect(sock->zsock, "%s", endpoint) < 0) {
        gy_log_warning("could not disconnect from \"%s\": %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    gy_log_info("bus: disconnected from %s", endpoint);
    return 0;
}

void gy_bus_subscribe(gy_bus_socket_t *sock, const char *prefix)
{
    assert(sock->type == GY_BUS_SUB);
    zsock_set_subscribe(sock->zsock, prefix);
}

void gy_bus_close(gy_bus_socket_t **sock_p)
{
    assert(sock_p);
    gy_bus_socket_t *sock = *sock_p;
    if (!sock)
        return;
    for (gy_bus_socket_t **p = &sock->bus->sockets; *p; p = &(*p)->next) {
        if (*p == sock) {
            *p = sock->next;
            break;
        }
    }
    uv_close((uv_handle_t *)&sock->poll, s_socket_close_cb);
    uv_close((uv_handle_t *)&sock->redrain, s_socket_close_cb);
    *sock_p = NULL;
}

static gy_bus_socket_t *s_socket_watch(gy_bus_t *self, zsock_t *zsock, gy_bus_type_t type,
                                       gy_bus_msg_cb *cb, void *arg)
{
    gy_bus_socket_t *sock = gy_calloc(1, sizeof *sock);
    sock->bus = self;
    sock->zsock = zsock;
    sock->type = type;
    sock->cb = cb;
    sock->arg = arg;
    uv_poll_init_socket(self->loop, &sock->poll, zsock_fd(zsock));
    uv_idle_init(self->loop, &sock->redrain);
    sock->poll.data = sock;
    sock->redrain.data = sock;
    sock->handles_open = 2;
    uv_poll_start(&sock->poll, UV_READABLE, s_on_poll);
    sock->next = self->sockets;
    self->sockets = sock;
    /*  Input may already be pending, and the edge may have passed. */
    uv_idle_start(&sock->redrain, s_on_redrain);
    return sock;
}

/*  zmq_send with ZMQ_DONTWAIT for each frame; frames after the first never
 *  block once the first went out (ZeroMQ queues whole messages). */
static int s_send(gy_bus_socket_t *sock, const gy_bus_msg_t *request, const gy_bus_frame_t *frames,
                  size_t count)
{
    void *handle = zsock_resolve(sock->zsock);
    size_t routing = request ? request->routing : 0;
    size_t total = routing + count;
    size_t sent = 0;
    int rc = 0;
    if (request) {
        zframe_t *f = zmsg_first(request->frames);
        for (size_t i = 0; i < routing && f; i++, f = zmsg_next(request->frames)) {
            int flags = ZMQ_DONTWAIT | (++sent < total ? ZMQ_SNDMORE : 0);
            if (zmq_send(handle, zframe_data(f), zframe_size(f), flags) < 0) {
                rc = -1;
                break;
            }
        }
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        int flags = ZMQ_DONTWAIT | (++sent < total ? ZMQ_SNDMORE : 0);
        if (zmq_send(handle, frames[i].data, frames[i].len, flags) < 0)
            rc = -1;
    }
    if (rc < 0)
        gy_log_debug("bus: send failed: %s", zmq_strerror(zmq_errno()));
    /*  The send may have consumed the edge that announced input. */
    uv_idle_start(&sock->redrain, s_on_redrain);
    return rc;
}

int gy_bus_send(gy_bus_socket_t *sock, const gy_bus_frame_t *frames, size_t count)
{
    return s_send(sock, NULL, frames, count);
}

int gy_bus_reply(gy_bus_socket_t *sock, const gy_bus_msg_t *request, const gy_bus_frame_t *frames,
                 size_t count)
{
    return s_send(sock, request, frames, count);
}

size_t gy_bus_msg_count(const gy_bus_msg_t *msg)
{
    return zmsg_size(msg->frames);
}

const void *gy_bus_msg_frame(const gy_bus_msg_t *msg, size_t i, size_t *len_p)
{
    zframe_t *f = zmsg_first(msg->frames);
    while (f && i--)
        f = zmsg_next(msg->frames);
    if (!f) {
        *len_p = 0;
        return NULL;
    }
    *len_p = zframe_size(f);
    return zframe_data(f);
}

const void *gy_bus_msg_payload(const gy_bus_msg_t *msg, size_t *len_p)
{
    zframe_t *f = zmsg_last(msg->frames);
    if (!f) {
        *len_p = 0;
        return NULL;
    }
    *len_p = zframe_size(f);
    return zframe_data(f);
}

void gy_bus_msg_destroy(gy_bus_msg_t **msg_p)
{
    assert(msg_p);
    gy_bus_msg_t *msg = *msg_p;
    if (!msg)
        return;
    zmsg_destroy(&msg->frames);
    free(msg);
    *msg_p = NULL;
}

int gy_bus_keygen(const char *dir, const char *name, char public_z85[41])
{
    char *path = gy_sprintf("%s/%s", dir, name);
    char *secret_path = gy_sprintf("%s/%s_secret", dir, name);
    int rc = -1;
    if (zsys_file_exists(path) || zsys_file_exists(secret_path)) {
        gy_log_error("certificate \"%s\" exists already; refusing to overwrite it", path);
        goto done;
    }
    zcert_t *cert = zcert_new();
    zcert_set_meta(cert, "name", "%s", name);
    if (zcert_save(cert, path) < 0) {
        gy_log_error("could not write certificate \"%s\"", path);
        zcert_destroy(&cert);
        goto done;
    }
    /*  The secret half must not be readable by others. */
    if (chmod(secret_path, 0600) < 0)
        gy_log_warning("could not restrict \"%s\" to its owner: %m", secret_path);
    snprintf(public_z85, 41, "%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
    rc = 0;
done:
    free(secret_path);
    free(path);
    return rc;
}
