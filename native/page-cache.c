/*
 * page-cache.node: lets the store tell the kernel that recording files it has
 * written will not be read again soon, so their cached pages are written back
 * and freed instead of filling memory (POSIX.1-2008 posix_fadvise with
 * POSIX_FADV_DONTNEED; Linux starts writeback of dirty pages in the range and
 * drops the clean ones). Node.js has no binding for it.
 *
 *   drop(fd, offset, length, callback)   callback(null) or callback(Error with .code)
 *
 * The call runs on libuv's thread pool (starting writeback can take a while),
 * never on the event loop. Built by scripts/build.mjs with the C compiler
 * against Node-API (version 3), nothing else linked.
 */
#define NAPI_VERSION 3
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  napi_async_work work;
  napi_ref callback;
  int fd;
  off_t offset;
  off_t length;
  int error;
} Drop;

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "page-cache: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

static void execute(napi_env env, void *data) {
  (void)env;
  Drop *d = data;
  d->error = posix_fadvise(d->fd, d->offset, d->length, POSIX_FADV_DONTNEED);
}

static void complete(napi_env env, napi_status status, void *data) {
  Drop *d = data;
  napi_value callback, global, arg, message, code;
  if (napi_get_reference_value(env, d->callback, &callback) == napi_ok && napi_get_global(env, &global) == napi_ok) {
    int error = status == napi_cancelled ? ECANCELED : d->error;
    if (error == 0) {
      napi_get_null(env, &arg);
    } else {
      napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &message);
      napi_create_int32(env, error, &code);
      napi_create_error(env, NULL, message, &arg);
      napi_set_named_property(env, arg, "errno", code);
    }
    napi_call_function(env, global, callback, 1, &arg, NULL);
  }
  napi_delete_reference(env, d->callback);
  napi_delete_async_work(env, d->work);
  free(d);
}

/* drop(fd, offset, length, callback) */
static napi_value drop(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], name;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  int64_t offset, length;
  napi_valuetype type;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &offset) != napi_ok ||
      napi_get_value_int64(env, argv[2], &length) != napi_ok || napi_typeof(env, argv[3], &type) != napi_ok || type != napi_function ||
      fd < 0 || offset < 0 || length < 0) {
    napi_throw_type_error(env, NULL, "page-cache: drop(fd, offset, length, callback)");
    return NULL;
  }
  Drop *d = calloc(1, sizeof *d);
  if (d == NULL) {
    napi_throw_error(env, NULL, "page-cache: out of memory");
    return NULL;
  }
  d->fd = fd;
  d->offset = (off_t)offset;
  d->length = (off_t)length;
  if (napi_create_reference(env, argv[3], 1, &d->callback) != napi_ok) {
    free(d);
    napi_throw_error(env, NULL, "page-cache: napi_create_reference");
    return NULL;
  }
  if (napi_create_string_utf8(env, "recgate:page-cache", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, d, &d->work) != napi_ok) {
    napi_delete_reference(env, d->callback);
    free(d);
    napi_throw_error(env, NULL, "page-cache: napi_create_async_work");
    return NULL;
  }
  if (napi_queue_async_work(env, d->work) != napi_ok) {
    napi_delete_reference(env, d->callback);
    napi_delete_async_work(env, d->work);
    free(d);
    napi_throw_error(env, NULL, "page-cache: napi_queue_async_work");
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(env, napi_create_function(env, "drop", NAPI_AUTO_LENGTH, drop, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "drop", fn));
  return exports;
}

NAPI_MODULE(page_cache, init)
