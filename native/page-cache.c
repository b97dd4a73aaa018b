/*
 * page-cache.node: the store's two calls on the page cache that Node.js has
 * no binding for.
 *
 *   drop(fd, offset, length, callback)   callback(null) or callback(Error with .errno)
 *     Tells the kernel that a recording file's range will not be read again
 *     soon, so its cached pages are written back and freed instead of filling
 *     memory (POSIX.1-2008 posix_fadvise with POSIX_FADV_DONTNEED; Linux starts
 *     writeback of dirty pages in the range and drops the clean ones).
 *   syncfs(fd, callback)
 *     Writes back everything cached for the filesystem holding fd and flushes
 *     the device's cache (Linux syncfs(2); since Linux 5.8 it reports writeback
 *     errors that occurred since fd was opened or last given to syncfs): one
 *     call for the files of many checkpoints.
 *
 * Both run on libuv's thread pool (they wait for the device), never on the
 * event loop. Built by scripts/build.mjs with the C compiler against Node-API
 * (version 3), nothing else linked.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 3
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { DROP, SYNCFS } Op;

typedef struct {
  napi_async_work work;
  napi_ref callback;
  Op op;
  int fd;
  off_t offset;
  off_t length;
  int error;
} Job;

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "page-cache: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

static void execute(napi_env env, void *data) {
  (void)env;
  Job *d = data;
  if (d->op == DROP) d->error = posix_fadvise(d->fd, d->offset, d->length, POSIX_FADV_DONTNEED);
  else d->error = syncfs(d->fd) == 0 ? 0 : errno;
}

static void complete(napi_env env, napi_status status, void *data) {
  Job *d = data;
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

/* Queues `job` on libuv's pool, `callback` told its outcome; frees it and throws when it cannot. */
static napi_value queue(napi_env env, Job *job, napi_value callback) {
  napi_value name;
  if (napi_create_reference(env, callback, 1, &job->callback) != napi_ok) {
    free(job);
    napi_throw_error(env, NULL, "page-cache: napi_create_reference");
    return NULL;
  }
  if (napi_create_string_utf8(env, "recgate:page-cache", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok) {
    napi_delete_reference(env, job->callback);
    free(job);
    napi_throw_error(env, NULL, "page-cache: napi_create_async_work");
    return NULL;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_reference(env, job->callback);
    napi_delete_async_work(env, job->work);
    free(job);
    napi_throw_error(env, NULL, "page-cache: napi_queue_async_work");
  }
  return NULL;
}

static Job *newJob(napi_env env, Op op, int fd) {
  Job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "page-cache: out of memory");
    return NULL;
  }
  job->op = op;
  job->fd = fd;
  return job;
}

/* drop(fd, offset, length, callback) */
static napi_value drop(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
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
  Job *job = newJob(env, DROP, fd);
  if (job == NULL) return NULL;
  job->offset = (off_t)offset;
  job->length = (off_t)length;
  return queue(env, job, argv[3]);
}

/* syncfs(fd, callback) */
static napi_value syncFs(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function ||
      fd < 0) {
    napi_throw_type_error(env, NULL, "page-cache: syncfs(fd, callback)");
    return NULL;
  }
  Job *job = newJob(env, SYNCFS, fd);
  if (job == NULL) return NULL;
  return queue(env, job, argv[1]);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(env, napi_create_function(env, "drop", NAPI_AUTO_LENGTH, drop, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "drop", fn));
  CHECK(env, napi_create_function(env, "syncfs", NAPI_AUTO_LENGTH, syncFs, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "syncfs", fn));
  return exports;
}

NAPI_MODULE(page_cache, init)
