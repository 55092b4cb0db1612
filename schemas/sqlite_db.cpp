#include "sqlite_db.h"

#include <sqlite3.h>

namespace hap::sql {
namespace {
[[noreturn]] void fail(sqlite3* db, int rc) {
    throw DbError{db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc};
}
}  // namespace

Statement::~Statement() {
    if (st_) sqlite3_finalize(st_);
}

Statement& Statement::bind(int i, const Value& v) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) rc = sqlite3_bind_null(st_, i);
    else if (auto* n = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(st_, i, *n);
    else if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(st_, i, *d);
    else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) fail(db_, rc);
    return *this;
}

bool Statement::step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc);
}

void Statement::reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
}

int64_t Statement::int_at(int c) const { return sqlite3_column_int64(st_, c); }
double Statement::real_at(int c) const { return sqlite3_column_double(st_, c); }
bool Statement::is_null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
std::string Statement::text_at(int c) const {
    const unsigned char* t = sqlite3_column_text(st_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st_, c))) : "";
}

Expected<Database> Database::open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return Error{"cannot open database " + path + ": " + msg};
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 1);
    return Database(db, path);
}

Expected<Database> Database::memory_copy_of(Database& src) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc == SQLITE_OK) {
        sqlite3_backup* b = sqlite3_backup_init(db, "main", src.db_, "main");
        if (!b) {
            rc = sqlite3_errcode(db);
        } else {
            sqlite3_backup_step(b, -1);
            rc = sqlite3_backup_finish(b);
        }
    }
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return Error{"cannot copy database " + src.path_ + " into memory: " + msg};
    }
    sqlite3_extended_result_codes(db, 1);
    return Database(db, src.path_);
}

Database::~Database() {
    if (db_) sqlite3_close(db_);
}

Statement Database::prepare(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc);
    return Statement(db_, st);
}

void Database::exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw DbError{msg, rc};
    }
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (const DbError&) {
        }
    }
}
void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace hap::sql
