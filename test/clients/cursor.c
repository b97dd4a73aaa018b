/*
 * Reads a query's rows through a server-side cursor, as applications on
 * MariaDB Connector/C do with CURSOR_TYPE_READ_ONLY: COM_STMT_EXECUTE opens
 * the cursor, then COM_STMT_FETCH brings PREFETCH rows at a time.
 *
 *   cursor HOST PORT USER PASSWORD DATABASE QUERY PREFETCH
 *
 * Prints every row as "id<TAB>name" (the query must return an integer and
 * a string), then "rows N". Exits 1 with the error on stderr.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(MYSQL *db, MYSQL_STMT *stmt) {
  if (stmt) fprintf(stderr, "ERROR %u (%s): %s\n", mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt));
  else fprintf(stderr, "ERROR %u (%s): %s\n", mysql_errno(db), mysql_sqlstate(db), mysql_error(db));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: cursor HOST PORT USER PASSWORD DATABASE QUERY PREFETCH\n");
    return 2;
  }
  MYSQL *db = mysql_init(NULL);
  unsigned int ssl = 0;
  mysql_options(db, MYSQL_OPT_SSL_ENFORCE, &ssl);
  if (!mysql_real_connect(db, argv[1], argv[3], argv[4], argv[5], (unsigned)atoi(argv[2]), NULL, 0)) return fail(db, NULL);
  MYSQL_STMT *stmt = mysql_stmt_init(db);
  if (mysql_stmt_prepare(stmt, argv[6], strlen(argv[6]))) return fail(db, stmt);
  unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = strtoul(argv[7], NULL, 10);
  mysql_stmt_attr_set(stmt, STMT_ATTR_CURSOR_TYPE, &type);
  mysql_stmt_attr_set(stmt, STMT_ATTR_PREFETCH_ROWS, &prefetch);
  if (mysql_stmt_execute(stmt)) return fail(db, stmt);

  long long id = 0;
  char name[256];
  unsigned long name_length = 0;
  MYSQL_BIND out[2];
  memset(out, 0, sizeof out);
  out[0].buffer_type = MYSQL_TYPE_LONGLONG;
  out[0].buffer = &id;
  out[1].buffer_type = MYSQL_TYPE_STRING;
  out[1].buffer = name;
  out[1].buffer_length = sizeof name - 1;
  out[1].length = &name_length;
  if (mysql_stmt_bind_result(stmt, out)) return fail(db, stmt);
  long rows = 0;
  int r;
  while ((r = mysql_stmt_fetch(stmt)) == 0 || r == MYSQL_DATA_TRUNCATED) {
    name[name_length < sizeof name ? name_length : sizeof name - 1] = 0;
    printf("%lld\t%s\n", id, name);
    rows++;
  }
  if (r != MYSQL_NO_DATA) return fail(db, stmt);
  printf("rows %ld\n", rows);
  mysql_stmt_close(stmt);
  mysql_close(db);
  return 0;
}
