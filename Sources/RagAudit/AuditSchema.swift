import GRDB

/// The audit file's tables, indexes and append-only triggers.
///
/// - `audit_record`: one row per record. `body` is the canonical JSON that was hashed; the other
///   columns copy parts of it so they can be indexed and searched (verify checks they agree).
/// - `audit_document`: which documents each question record cited, written in the same
///   transaction as the record. Chosen over `json_each(body)` because filtering by document is
///   then an index lookup rather than a JSON parse of every record in the file.
/// - `audit_checkpoint`: where each purge cut the chain.
/// - `audit_purge_guard`: holds a row only inside a purge's transaction; the delete triggers
///   let rows go only while it does. Chosen over dropping and recreating the triggers: a purge
///   changes no schema, and the trigger text lives in this one migration.
///
/// The triggers stop accidents and careless tools, not a determined owner of the file: anyone
/// with the sqlite3 shell can insert a guard row or drop a trigger. The evidence of tampering
/// is the hash chain, checked by `verify()`, and the head hash published elsewhere.
enum AuditSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE audit_record (
                    id INTEGER PRIMARY KEY,
                    time TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    user_id INTEGER,
                    user_name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    client_address TEXT,
                    action TEXT,
                    question TEXT,
                    answer TEXT,
                    route TEXT,
                    body TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_record_time ON audit_record(time);
                CREATE INDEX audit_record_user_name ON audit_record(user_name, time);
                CREATE INDEX audit_record_route ON audit_record(route);

                CREATE TABLE audit_document (
                    record_id INTEGER NOT NULL,
                    document_id INTEGER NOT NULL,
                    PRIMARY KEY (document_id, record_id)
                ) WITHOUT ROWID;
                CREATE INDEX audit_document_record ON audit_document(record_id);

                CREATE TABLE audit_checkpoint (
                    id INTEGER PRIMARY KEY,
                    created_at TEXT NOT NULL,
                    purged_through_id INTEGER NOT NULL,
                    last_purged_hash TEXT NOT NULL,
                    records_purged INTEGER NOT NULL
                );

                CREATE TABLE audit_purge_guard (active INTEGER NOT NULL);

                CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record
                BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record
                WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard)
                BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

                CREATE TRIGGER audit_document_no_update BEFORE UPDATE ON audit_document
                BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_document_no_delete BEFORE DELETE ON audit_document
                WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard)
                BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

                CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
                BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
                CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
                BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
                """)
        }
        return migrator
    }
}
