-- Least privilege for the service's own login on PostgreSQL. The DBA (schema owner) applies
-- db/postgres/migrations.sql, then grants the service role data rights only: it can read and
-- write rows but not create, alter or drop anything.
--   psql -v app_role=lkm_app -f db/postgres/grants.sql
-- (the tests substitute :app_role themselves). Keypairs are never deleted by the service, so it
-- gets no DELETE on keypairs or credentials; it deletes only expired nonces and purged log rows.
-- request_log_chain is the log's one-row chain head: every append reads, locks and moves it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :app_role;
GRANT SELECT ON "__EFMigrationsHistory" TO :app_role;
GRANT SELECT, INSERT, UPDATE ON keypairs, credentials TO :app_role;
GRANT SELECT, INSERT, DELETE ON hawk_nonces, request_log TO :app_role;
GRANT SELECT, UPDATE ON request_log_chain TO :app_role;
