import GRDB

/// The database schema, as a sequence of migrations. Never edit a shipped migration: add one.
enum Schema {
    static func migrator(dimensions: Int) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sources, documents, chunks, FTS5, vec0") { db in
            try db.execute(sql: """
                CREATE TABLE store_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );

                -- A folder (or file) that documents are ingested from. Groups say who may read them.
                CREATE TABLE source (
                    id INTEGER PRIMARY KEY,
                    root TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    groups TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(groups)),
                    created_at TEXT NOT NULL,
                    last_ingest_at TEXT
                );

                CREATE TABLE document (
                    id INTEGER PRIMARY KEY,
                    source_id INTEGER REFERENCES source(id) ON DELETE CASCADE,
                    path TEXT NOT NULL UNIQUE,
                    title TEXT,
                    author TEXT,
                    format TEXT NOT NULL,
                    -- Who may read it: a JSON array of group names, copied from the source at
                    -- ingest ('[]' = everyone). Retrieval filters on it inside every query.
                    groups TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(groups)),
                    content_sha256 TEXT,
                    size_bytes INTEGER,
                    version INTEGER NOT NULL DEFAULT 0,
                    -- ingested | ingested_ocr | failed | skipped
                    status TEXT NOT NULL CHECK (status IN ('ingested', 'ingested_ocr', 'failed', 'skipped')),
                    error TEXT,
                    pages INTEGER,
                    pages_without_text INTEGER NOT NULL DEFAULT 0,
                    chunk_count INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT,
                    modified_at TEXT,
                    ingested_at TEXT NOT NULL,
                    checked_at TEXT NOT NULL
                );
                CREATE INDEX document_source ON document(source_id);

                CREATE TABLE chunk (
                    id INTEGER PRIMARY KEY,
                    document_id INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
                    ordinal INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    section_path TEXT NOT NULL,
                    anchor TEXT,
                    page_start INTEGER,
                    page_end INTEGER,
                    char_start INTEGER NOT NULL,
                    char_end INTEGER NOT NULL,
                    token_count INTEGER NOT NULL,
                    origin TEXT NOT NULL DEFAULT 'text',
                    UNIQUE (document_id, ordinal)
                );

                -- Full text over chunk text and section path (external content: the text lives once,
                -- in chunk). Porter stemming so "limits" finds "limit".
                CREATE VIRTUAL TABLE chunk_fts USING fts5(
                    text, section_path,
                    content = 'chunk', content_rowid = 'id',
                    tokenize = 'porter unicode61 remove_diacritics 2'
                );

                -- Vectors keyed by chunk id (sqlite-vec). Cosine distance: vectors are unit length.
                -- document_id is a metadata column so nearest-neighbour queries can filter by
                -- readable documents inside the KNN scan (`document_id IN (...)`).
                CREATE VIRTUAL TABLE chunk_vec USING vec0(
                    chunk_id INTEGER PRIMARY KEY,
                    embedding float[\(dimensions)] distance_metric=cosine,
                    document_id integer
                );

                -- The three stay in step by construction: whoever writes chunk rows cannot forget
                -- the indexes, and a deleted document (ON DELETE CASCADE) leaves nothing behind.
                CREATE TRIGGER chunk_after_insert AFTER INSERT ON chunk BEGIN
                    INSERT INTO chunk_fts(rowid, text, section_path) VALUES (new.id, new.text, new.section_path);
                END;
                CREATE TRIGGER chunk_after_delete AFTER DELETE ON chunk BEGIN
                    INSERT INTO chunk_fts(chunk_fts, rowid, text, section_path)
                        VALUES ('delete', old.id, old.text, old.section_path);
                    DELETE FROM chunk_vec WHERE chunk_id = old.id;
                END;
                """)
        }
        migrator.registerMigration("v2: accounts, sessions, API tokens, history, feedback, ingest jobs") { db in
            try db.execute(sql: """
                CREATE TABLE user (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    -- bcrypt; NULL for accounts that only sign in through a trusted proxy header.
                    password_hash TEXT,
                    role TEXT NOT NULL CHECK (role IN ('employee', 'admin', 'auditor')),
                    -- JSON array of group names: which restricted sources this user may read.
                    groups TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(groups)),
                    disabled INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL
                );

                -- A signed-in browser. Only the SHA-256 of the cookie value is stored, so a copy of
                -- the database does not let anyone sign in.
                CREATE TABLE session (
                    token_sha256 TEXT PRIMARY KEY NOT NULL,
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL
                );
                CREATE INDEX session_user ON session(user_id);

                -- Bearer tokens for programs (hash only, like sessions).
                CREATE TABLE api_token (
                    id INTEGER PRIMARY KEY,
                    token_sha256 TEXT NOT NULL UNIQUE,
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    last_used_at TEXT,
                    revoked INTEGER NOT NULL DEFAULT 0
                );

                -- A user's own questions and answers, for their history page.
                CREATE TABLE history (
                    id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    question TEXT NOT NULL,
                    answer TEXT NOT NULL,
                    path TEXT NOT NULL,
                    -- JSON array of the sources shown: document id, title, location, link.
                    sources TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources)),
                    created_at TEXT NOT NULL
                );
                CREATE INDEX history_user ON history(user_id, id);

                CREATE TABLE feedback (
                    id INTEGER PRIMARY KEY,
                    history_id INTEGER NOT NULL UNIQUE REFERENCES history(id) ON DELETE CASCADE,
                    helpful INTEGER NOT NULL,
                    comment TEXT,
                    created_at TEXT NOT NULL
                );

                -- Re-ingest work queued by admins and run by the ingest worker.
                CREATE TABLE ingest_job (
                    id INTEGER PRIMARY KEY,
                    scope TEXT NOT NULL CHECK (scope IN ('all', 'source', 'document')),
                    source_id INTEGER REFERENCES source(id) ON DELETE SET NULL,
                    document_id INTEGER REFERENCES document(id) ON DELETE SET NULL,
                    status TEXT NOT NULL
                        CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    requested_by TEXT NOT NULL,
                    force INTEGER NOT NULL DEFAULT 0,
                    files_done INTEGER NOT NULL DEFAULT 0,
                    files_total INTEGER NOT NULL DEFAULT 0,
                    chunks INTEGER NOT NULL DEFAULT 0,
                    current_path TEXT,
                    message TEXT,
                    created_at TEXT NOT NULL,
                    started_at TEXT,
                    finished_at TEXT
                );
                CREATE INDEX ingest_job_status ON ingest_job(status, id);
                """)
        }
        migrator.registerMigration("v3: binary-quantized vectors for search at scale") { db in
            try db.execute(sql: """
                -- Every chunk's vector once more, in a plain table: a binary-quantized code
                -- (sqlite-vec's bit format, vec_quantize_binary: one bit per dimension, set when
                -- the component is positive) that QuantizedVectorIndex scans by Hamming distance,
                -- and the float32 vector it re-scores the best candidates with. A plain table
                -- because re-scoring reads a few hundred vectors by id: a rowid lookup here costs
                -- microseconds, while vec0 answers an IN list with a full scan and a point query
                -- with a blob open (see bench/RESULTS.md).
                CREATE TABLE chunk_vector (
                    chunk_id INTEGER PRIMARY KEY,
                    document_id INTEGER NOT NULL,
                    code BLOB NOT NULL,
                    embedding BLOB NOT NULL
                );

                -- What changed in chunk_vector, in commit order, so an in-memory copy of the codes
                -- (in this process or another) catches up by reading only what is new.
                CREATE TABLE chunk_vector_change (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    chunk_id INTEGER NOT NULL,
                    deleted INTEGER NOT NULL
                );
                CREATE TRIGGER chunk_vector_after_insert AFTER INSERT ON chunk_vector BEGIN
                    INSERT INTO chunk_vector_change(chunk_id, deleted) VALUES (new.chunk_id, 0);
                END;
                CREATE TRIGGER chunk_vector_after_delete AFTER DELETE ON chunk_vector BEGIN
                    INSERT INTO chunk_vector_change(chunk_id, deleted) VALUES (old.chunk_id, 1);
                END;

                DROP TRIGGER chunk_after_delete;
                CREATE TRIGGER chunk_after_delete AFTER DELETE ON chunk BEGIN
                    INSERT INTO chunk_fts(chunk_fts, rowid, text, section_path)
                        VALUES ('delete', old.id, old.text, old.section_path);
                    DELETE FROM chunk_vec WHERE chunk_id = old.id;
                    DELETE FROM chunk_vector WHERE chunk_id = old.id;
                END;

                INSERT INTO chunk_vector(chunk_id, document_id, code, embedding)
                    SELECT chunk_id, document_id, vec_quantize_binary(embedding), embedding FROM chunk_vec;
                """)
        }
        migrator.registerMigration("v4: boilerplate profiles learned per source") { db in
            try db.execute(sql: """
                -- The blocks that repeat across a source's documents (navigation, footers),
                -- learned from a sample of them at ingest and removed before chunking. The
                -- profile is JSON of RagChunking's BoilerplateProfile; files_seen is how many
                -- files the source had when it was learned (it is learned again when the
                -- source has grown to twice that).
                CREATE TABLE source_boilerplate (
                    source_id INTEGER PRIMARY KEY REFERENCES source(id) ON DELETE CASCADE,
                    profile TEXT NOT NULL CHECK (json_valid(profile)),
                    documents_sampled INTEGER NOT NULL,
                    files_seen INTEGER NOT NULL,
                    learned_at TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v5: conversations") { db in
            try db.execute(sql: """
                -- A user's thread of questions. The id is random (a UUID): it is the handle the
                -- web page and API clients pass back, and it is only ever looked up together
                -- with the owner's user id.
                CREATE TABLE conversation (
                    id TEXT PRIMARY KEY NOT NULL,
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    -- The first question, for listings.
                    title TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                CREATE INDEX conversation_user ON conversation(user_id, updated_at);

                -- Each history entry is a turn of a conversation (NULL for entries from before
                -- conversations, and for OpenAI-compatible requests, which carry their own).
                ALTER TABLE history ADD COLUMN conversation_id TEXT REFERENCES conversation(id) ON DELETE CASCADE;
                ALTER TABLE history ADD COLUMN turn INTEGER;
                -- The standalone query a follow-up was searched for (NULL: the question as typed).
                ALTER TABLE history ADD COLUMN searched_for TEXT;
                CREATE INDEX history_conversation ON history(conversation_id, turn);
                """)
        }
        migrator.registerMigration("v6: display names, identity-provider accounts, sources kept on-prem") { db in
            try db.execute(sql: """
                -- The person's name as colleagues write it ("Alice Example"): shown on pages, and
                -- redacted from everything sent to a model outside the process.
                ALTER TABLE user ADD COLUMN display_name TEXT;
                -- "issuer#sub" of an account created by sign-in through the identity provider:
                -- the key it is found by at the next sign-in (never the name, which can change).
                ALTER TABLE user ADD COLUMN oidc_subject TEXT;
                CREATE UNIQUE INDEX user_oidc_subject ON user(oidc_subject) WHERE oidc_subject IS NOT NULL;
                -- 1: passages of this source never go to the larger model (escalation policy).
                ALTER TABLE source ADD COLUMN on_prem_only INTEGER NOT NULL DEFAULT 0 CHECK (on_prem_only IN (0, 1));
                """)
        }
        migrator.registerMigration("v7: sources kept in sync") { db in
            try db.execute(sql: """
                -- Every how many seconds the source is synced by itself (NULL: only when asked).
                ALTER TABLE source ADD COLUMN sync_seconds INTEGER CHECK (sync_seconds IS NULL OR sync_seconds >= 1);
                -- When the scheduler queues its next sync (NULL: not scheduled).
                ALTER TABLE source ADD COLUMN next_sync_at TEXT;
                -- The last sync (scheduled or asked for), what it found, and how many failed in a row.
                ALTER TABLE source ADD COLUMN last_sync_at TEXT;
                ALTER TABLE source ADD COLUMN last_sync_result TEXT;
                ALTER TABLE source ADD COLUMN sync_failures INTEGER NOT NULL DEFAULT 0;
                -- 1: also synced a moment after its files change (inotify, where the file system
                -- reports changes).
                ALTER TABLE source ADD COLUMN sync_on_change INTEGER NOT NULL DEFAULT 0 CHECK (sync_on_change IN (0, 1));
                -- Also synced every day at this time of day ("02:30", the server's local time).
                ALTER TABLE source ADD COLUMN sync_daily_at TEXT;
                """)
        }
        migrator.registerMigration("v8: embedding-model migration") { db in
            try db.execute(sql: """
                -- A re-embedding of every chunk with another model (`ragd reindex`), built beside
                -- the active index while questions are answered from it, then switched to in one
                -- transaction. At most one runs at a time; a killed one resumes where it stopped.
                CREATE TABLE embedding_migration (
                    id INTEGER PRIMARY KEY,
                    -- The new model's identifier (its file name), file and vector length.
                    model TEXT NOT NULL,
                    model_path TEXT NOT NULL,
                    dimensions INTEGER NOT NULL CHECK (dimensions > 0),
                    -- The model of the index it replaces.
                    previous_model TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'switched', 'cancelled', 'failed')),
                    requested_by TEXT NOT NULL,
                    chunks_total INTEGER NOT NULL DEFAULT 0,
                    chunks_done INTEGER NOT NULL DEFAULT 0,
                    -- The process working on it and when it last reported: a dead or silent
                    -- worker's migration is taken over (resumed) by the next one.
                    worker_pid INTEGER,
                    heartbeat_at TEXT,
                    message TEXT,
                    created_at TEXT NOT NULL,
                    finished_at TEXT
                );
                CREATE UNIQUE INDEX embedding_migration_running ON embedding_migration(status) WHERE status = 'running';

                -- The next index's vectors (same shape as chunk_vector), filled by the running
                -- migration; empty otherwise. At the switch it becomes chunk_vector.
                CREATE TABLE chunk_vector_next (
                    chunk_id INTEGER PRIMARY KEY,
                    document_id INTEGER NOT NULL,
                    code BLOB NOT NULL,
                    embedding BLOB NOT NULL
                );

                DROP TRIGGER chunk_after_delete;
                \(Schema.chunkAfterDeleteTrigger)
                """)
            // The generation of the active index: bumped by every switch, so the in-memory
            // codes and each answer's pinned model see one index, never a mix.
            try db.execute(sql: "INSERT OR IGNORE INTO store_meta(key, value) VALUES ('vector_generation', '1')")
        }
        migrator.registerMigration("v9: answer measures for analytics, cost and training export") { db in
            try db.execute(sql: """
                -- How each answer went, beside the question: the admins' analytics page (routes,
                -- verification, time to first text, tokens and cost, most-cited documents) and
                -- `ragd export-training` read them here rather than from the audit file. NULL in
                -- entries from before this migration.
                ALTER TABLE history ADD COLUMN channel TEXT;
                ALTER TABLE history ADD COLUMN first_shown_ms REAL;
                ALTER TABLE history ADD COLUMN total_ms REAL;
                ALTER TABLE history ADD COLUMN prompt_tokens INTEGER;
                ALTER TABLE history ADD COLUMN generated_tokens INTEGER;
                -- The larger tier's share of the tokens (what a paid endpoint bills).
                ALTER TABLE history ADD COLUMN large_model_tokens INTEGER;
                ALTER TABLE history ADD COLUMN verification TEXT CHECK (verification IS NULL OR verification IN ('passed', 'failed'));
                ALTER TABLE history ADD COLUMN withheld INTEGER;
                -- JSON array of the source numbers the answer cites.
                ALTER TABLE history ADD COLUMN cited TEXT CHECK (cited IS NULL OR json_valid(cited));
                -- JSON array of the passages the larger model was given (document id, heading,
                -- text as trimmed for the prompt); NULL when it was not asked.
                ALTER TABLE history ADD COLUMN passages TEXT CHECK (passages IS NULL OR json_valid(passages));
                CREATE INDEX history_created ON history(created_at);
                """)
        }
        return migrator
    }

    /// A deleted chunk takes its full-text row and its vectors (active and next index) with it.
    static let chunkAfterDeleteTrigger = """
        CREATE TRIGGER chunk_after_delete AFTER DELETE ON chunk BEGIN
            INSERT INTO chunk_fts(chunk_fts, rowid, text, section_path)
                VALUES ('delete', old.id, old.text, old.section_path);
            DELETE FROM chunk_vec WHERE chunk_id = old.id;
            DELETE FROM chunk_vector WHERE chunk_id = old.id;
            DELETE FROM chunk_vector_next WHERE chunk_id = old.id;
        END;
        """

    /// The change log of chunk_vector (see v3), created again when a migration's table takes its place.
    static let chunkVectorTriggers = """
        CREATE TRIGGER chunk_vector_after_insert AFTER INSERT ON chunk_vector BEGIN
            INSERT INTO chunk_vector_change(chunk_id, deleted) VALUES (new.chunk_id, 0);
        END;
        CREATE TRIGGER chunk_vector_after_delete AFTER DELETE ON chunk_vector BEGIN
            INSERT INTO chunk_vector_change(chunk_id, deleted) VALUES (old.chunk_id, 1);
        END;
        """

    /// sqlite-vec's table of the active index (see v1), for vectors of `dimensions`.
    static func chunkVecTable(dimensions: Int) -> String {
        """
        CREATE VIRTUAL TABLE chunk_vec USING vec0(
            chunk_id INTEGER PRIMARY KEY,
            embedding float[\(dimensions)] distance_metric=cosine,
            document_id integer
        );
        """
    }
}
