// A thin RAII layer over sqlite3: statements with bound parameters, and errors
// turned into hap::Error with the database path in them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hap::sql {

using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;

class Statement {
public:
    Statement(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
    Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
    ~Statement();
    Statement& bind(int index, const Value& v);  // 1-based, as in SQLite
    // Steps once: true when a row is ready. Throws DbError on failure.
    bool step();
    void reset();
    int64_t int_at(int col) const;
    double real_at(int col) const;
    std::string text_at(int col) const;
    bool is_null(int col) const;

private:
    sqlite3* db_;
    sqlite3_stmt* st_;
};

// Thrown by Statement and Database on SQLite failures; the Store catches it
// and returns Error values, so it never leaves the store layer.
struct DbError {
    std::string message;
    int code;
};

class Database {
public:
    static Expected<Database> open(const std::string& path);
    // A private in-memory copy of `src` (sqlite3_backup), which keeps src's
    // path for messages: what a reader migrates without touching the file.
    // Errors: out of memory, or src unreadable (locked past the busy timeout).
    static Expected<Database> memory_copy_of(Database& src);
    Database(Database&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }
    ~Database();
    Statement prepare(const std::string& sql);
    void exec(const std::string& sql);  // one or more statements, no results
    int64_t last_insert_id() const;
    const std::string& path() const { return path_; }

private:
    Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
    sqlite3* db_;
    std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() was reached.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

}  // namespace hap::sql
