//! The tables, written by hand so that one definition serves SQLite and PostgreSQL.

diesel::table! {
    units (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        unit_id -> Nullable<Text>,
        active -> Bool,
        token_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(users -> units (unit_id));
diesel::allow_tables_to_appear_in_same_query!(units, users);
