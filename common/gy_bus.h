/*  gy_bus — ZeroMQ sockets on a libuv loop; the only module that includes
 *  zmq.h / czmq.h.
 *
 *  A gy_bus_t owns the ZeroMQ context and, when CURVE is configured, the
 *  ZAP authenticator (CZMQ's zauth) with an allow-list: a folder of client
 *  public certificates.  Every socket a bus creates then uses CURVE, and a
 *  client whose key is not in the folder is refused during the handshake.
 *
 *  Sockets are watched through ZMQ_FD, which is edge-triggered: on every
 *  wake-up we drain while ZMQ_EVENTS says POLLIN, and after every send we
 *  drain again (a send may consume the edge that announced input).
 *
 *  Received messages are handed to the socket's callback, which takes
 *  ownership (gy_bus_msg_destroy).  A reply to a ROUTER message copies the
 *  routing frames of the request, so replies can be sent later.
 */
#ifndef GY_BUS_H
#define GY_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct gy_bus gy_bus_t;
typedef struct gy_bus_socket gy_bus_socket_t;
typedef struct gy_bus_msg gy_bus_msg_t;

typedef enum { GY_BUS_PUB, GY_BUS_SUB, GY_BUS_ROUTER, GY_BUS_DEALER, GY_BUS_REQ } gy_bus_type_t;

typedef struct {
    const void *data;
    size_t len;
} gy_bus_frame_t;

typedef void(gy_bus_msg_cb)(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg);

/*  server_cert: a secret certificate file (gy-keygen's NAME_secret);
 *  clients_dir: the allowed clients' public certificates.  Both NULL: no
 *  CURVE.  One without the other, or unreadable files: NULL (logged). */
gy_bus_t *gy_bus_new(uv_loop_t *loop, const char *server_cert, const char *clients_dir);
/*  Closes every socket of the bus (memory in close callbacks: run the
 *  loop), stops the authenticator. */
void gy_bus_destroy(gy_bus_t **self_p);
bool gy_bus_curve(const gy_bus_t *self);

/*  Creates a socket bound to endpoint (stable parts bind).  cb may be NULL
 *  for sockets that only send.  NULL (logged) when the bind fails. */
gy_bus_socket_t *gy_bus_bind(gy_bus_t *self, gy_bus_type_t type, const char *endpoint,
                             gy_bus_msg_cb *cb, void *arg);

/*  Creates a socket that connects (scaled parts connect); it has no peer
 *  until gy_bus_connect.  For CURVE give both the client's secret
 *  certificate (gy-keygen's NAME_secret) and the server's public
 *  certificate; both NULL: plain.  NULL (logged) when a certificate cannot
 *  be read.  Sockets are closed with the bus, or earlier by gy_bus_close. */
gy_bus_socket_t *gy_bus_client(gy_bus_t *self, gy_bus_type_t type, const char *client_cert,
                               const char *server_cert, gy_bus_msg_cb *cb, void *arg);
/*  Adds / removes a peer endpoint of a client socket.  -1 (logged) on a
 *  malformed endpoint. */
int gy_bus_connect(gy_bus_socket_t *socket, const char *endpoint);
int gy_bus_disconnect(gy_bus_socket_t *socket, const char *endpoint);
/*  SUB only: receive messages whose first frame starts with prefix ("" for
 *  all). */
void gy_bus_subscribe(gy_bus_socket_t *socket, const char *prefix);
/*  Closes one socket before its bus; memory goes in close callbacks. */
void gy_bus_close(gy_bus_socket_t **socket_p);

/*  Sends frames as one multipart message without blocking.  -1 when
 *  ZeroMQ would block or fails (logged at debug: PUB drops are normal). */
int gy_bus_send(gy_bus_socket_t *socket, const gy_bus_frame_t *frames, size_t count);
/*  Sends the routing frames of `request` followed by frames. */
int gy_bus_reply(gy_bus_socket_t *socket, const gy_bus_msg_t *request, const gy_bus_frame_t *frames,
                 size_t count);

size_t gy_bus_msg_count(const gy_bus_msg_t *msg);
const void *gy_bus_msg_frame(const gy_bus_msg_t *msg, size_t i, size_t *len_p);
/*  The payload: the last frame. */
const void *gy_bus_msg_payload(const gy_bus_msg_t *msg, size_t *len_p);
void gy_bus_msg_destroy(gy_bus_msg_t **msg_p);

/*  Writes a new CURVE certificate pair: dir/name (public) and
 *  dir/name_secret.  Prints nothing; 0 or -1 (logged). */
int gy_bus_keygen(const char *dir, const char *name, char public_z85[41]);

#endif
