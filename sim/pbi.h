/*
 * pbi.h: the internal interfaces of the Power BI emulation, shared by the
 * pbi_*.c files, by collections.c, which serves the same workspace
 * content under /v1.0/collections/, and by seed.c.
 */
#ifndef PBISIM_PBI_H
#define PBISIM_PBI_H

#include "sim/sim.h"

/* Workspace access rights by rank, named by sim_pbi_rights. */
enum { R_NONE, R_VIEWER, R_CONTRIB, R_MEMBER, R_ADMIN };

/* pbi_ws.c */
extern const char *const sim_pbi_rights[];
int		 sim_pbi_right_rank(const char *);
void		 sim_pbi_caller_key(const struct req *, char *, size_t);
const char	*sim_pbi_caller_name(const struct req *);
int		 sim_ws_access(const struct req *, struct json_object *ws);
struct json_object *sim_ws_find(const char *id);
struct json_object *sim_ws_get(struct req *, const char *id, int need);
struct json_object *sim_ws_find_item(const char *kind, const char *id,
		    struct json_object **wsout);
int		 sim_pbi_name_filter(const char *f, const char *name);
int		 sim_pbi_topskip(struct req *, long *top, long *skip, long max);
void		 sim_ws_touch(struct json_object *ws);

/* pbi_model.c */
struct json_object *sim_ws_dataset_json(struct json_object *ws,
		    struct json_object *ds, int coll);
struct json_object *sim_ws_report_json(struct json_object *ws,
		    struct json_object *rep, int coll);
void		 sim_ws_normalize(struct json_object *ws, int coll,
		    const char *basedir);
void		 sim_ws_settle(struct json_object *ws);

/* pbi_content.c */
void		 sim_ws_import_post(struct req *, struct json_object *ws,
		    int coll);
void		 sim_ws_import_get(struct req *, struct json_object *ws,
		    const char *id, int coll);
void		 sim_pbi_temp_upload(struct req *);
void		 sim_pbi_reports(struct req *, struct json_object *ws);
void		 sim_ws_datasets(struct req *, struct json_object *ws,
		    int coll);
void		 sim_pbi_gateways(struct req *);

/* pbi_embed.c */
void		 sim_pbi_generate_v1(struct req *, struct json_object *ws,
		    const char *rid, const char *did,
		    struct json_object *dash, struct json_object *tile);
void		 sim_pbi_generate_v2(struct req *);
void		 sim_pbi_embed_check(struct req *);

/* pbi_dashboards.c */
void		 sim_pbi_dashboards(struct req *, struct json_object *ws);

/* pbi_groups.c */
void		 sim_pbi_groups_list(struct req *);
void		 sim_pbi_groups_create(struct req *);
void		 sim_pbi_group(struct req *, struct json_object *ws);
void		 sim_pbi_group_users(struct req *, struct json_object *ws);

/* pbi_capacities.c */
void		 sim_pbi_capacities(struct req *);
void		 sim_pbi_assign(struct req *, struct json_object *ws);
void		 sim_pbi_assign_status(struct req *, struct json_object *ws);

/* pbi_profiles.c */
void		 sim_pbi_profiles(struct req *);

/* pbi_admin.c, pbi_scanner.c */
void		 sim_pbi_admin(struct req *);
int		 sim_admin_budget(struct req *, const char *route,
		    int per_hour, int per_min);
struct json_object *sim_admin_ws(struct json_object *ws, const char *expand);
void		 sim_pbi_scanner(struct req *);

#endif /* PBISIM_PBI_H */
