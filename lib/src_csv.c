#include "src_csv.h"
void csv_defaults(struct csv_opts *o){(void)o;}
struct src_csv *src_csv_open(const char *path, const struct csv_opts *o, const struct src_file_opts *fo, const char *tenant, struct twin_err *err){(void)path;(void)o;(void)fo;(void)tenant;err_set(err,TWIN_EUSAGE,"no");return 0;}
int src_csv_next(struct src_csv *c, struct buf *rec, int64_t *ts, struct twin_err *err){return 0;}
const char *src_csv_where(const struct src_csv *c){return "";}
long src_csv_lineno(const struct src_csv *c){return 0;}
void src_csv_close(struct src_csv *c){}
