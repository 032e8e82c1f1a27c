//! Black-box tests: HTTP in, HTTP out (and the CLI), each on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod support;

mod auth;
mod auth_jwks;
mod auth_jwt;
mod auth_keys;
mod auth_matrix;
mod auth_oauth;
mod auth_support;
mod bodies;
mod builton_addresses;
mod builton_geocoding;
mod builton_lists;
mod builton_records;
mod builton_sdk;
mod builton_seed;
mod builton_support;
mod builton_users;
mod cli;
mod concurrent_patches;
mod edge;
mod fuzz;
mod gigs_addresses;
mod gigs_auth;
mod gigs_pagination;
mod gigs_seed;
mod gigs_support;
mod gigs_users;
mod health;
mod if_match;
mod key_changes;
mod keys_api;
mod openapi;
mod organizations;
mod path_ids;
mod pricing;
mod propeller_support;
mod propeller_users;
mod query_params;
mod records;
mod tenancy;
mod users_addresses;
mod users_bounds;
mod users_bulk;
mod users_concurrency;
mod users_crud;
mod users_delete;
mod users_idempotency;
mod users_input;
mod users_list;
mod users_search;
mod users_sort;
