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
        mobile -> Nullable<Text>,
    }
}

diesel::joinable!(users -> units (unit_id));

diesel::table! {
    requests (id) {
        id -> Text,
        tracking_code -> Text,
        channel -> Text,
        body -> Text,
        search_text -> Text,
        proposed_kind -> Nullable<Text>,
        kind -> Nullable<Text>,
        subject -> Nullable<Text>,
        subject_unit_id -> Nullable<Text>,
        status -> Text,
        resolution -> Nullable<Text>,
        version -> Integer,
        registered_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_identities (request_id) {
        request_id -> Text,
        name -> Text,
        mobile -> Text,
        national_id -> Nullable<Text>,
        email -> Nullable<Text>,
        mobile_index -> Nullable<Text>,
    }
}

diesel::table! {
    request_events (id) {
        id -> Text,
        request_id -> Text,
        seq -> Integer,
        at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        public -> Bool,
        details -> Text,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        request_id -> Nullable<Text>,
        template -> Text,
        recipient -> Text,
        params -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        provider_message_id -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        channel -> Text,
        summary -> Text,
        citizen_name -> Nullable<Text>,
        citizen_mobile -> Nullable<Text>,
        outcome -> Text,
        unit_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        staff_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (scope, idempotency_key) {
        scope -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    referrals (id) {
        id -> Text,
        request_id -> Text,
        reference -> Text,
        unit_id -> Text,
        reason -> Text,
        kind -> Nullable<Text>,
        subject -> Nullable<Text>,
        body -> Text,
        due_at -> Timestamp,
        status -> Text,
        answer -> Nullable<Text>,
        return_reason -> Nullable<Text>,
        version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        request_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        place -> Text,
        status -> Text,
        action_required -> Nullable<Bool>,
        notes -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ratings (request_id) {
        request_id -> Text,
        score -> Integer,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sms_charges (notification_id) {
        notification_id -> Text,
        recipient_index -> Text,
        charged_at -> Timestamp,
    }
}

diesel::joinable!(referrals -> units (unit_id));
diesel::joinable!(meetings -> requests (request_id));
diesel::joinable!(request_identities -> requests (request_id));
diesel::joinable!(request_events -> requests (request_id));
diesel::joinable!(notifications -> requests (request_id));
diesel::joinable!(contacts -> requests (request_id));
diesel::joinable!(sms_charges -> notifications (notification_id));

diesel::table! {
    abuse_counters (scope, key) {
        scope -> Text,
        key -> Text,
        hits -> Integer,
        window_ends -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        request_id -> Text,
        seq -> Integer,
        author_kind -> Text,
        author_id -> Nullable<Text>,
        author_role -> Nullable<Text>,
        referral_id -> Nullable<Text>,
        body -> Text,
        unit_body -> Nullable<Text>,
        release -> Nullable<Text>,
        released_by -> Nullable<Text>,
        released_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(messages -> requests (request_id));

diesel::table! {
    file_contents (sha256) {
        sha256 -> Text,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        sha256 -> Text,
        size -> BigInt,
        file_type -> Text,
        file_name -> Text,
        author_kind -> Text,
        uploaded_by -> Nullable<Text>,
        request_id -> Nullable<Text>,
        message_id -> Nullable<Text>,
        referral_id -> Nullable<Text>,
        created_at -> Timestamp,
        attached_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attachment_releases (attachment_id, referral_id) {
        attachment_id -> Text,
        referral_id -> Text,
        released_by -> Text,
        released_at -> Timestamp,
    }
}

diesel::joinable!(attachment_releases -> attachments (attachment_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    users,
    requests,
    request_identities,
    request_events,
    notifications,
    contacts,
    idempotency_keys,
    referrals,
    meetings,
    ratings,
    sms_charges,
    messages,
    file_contents,
    attachments,
    attachment_releases,
    deadlines,
    staff_notifications,
);

diesel::table! {
    deadlines (id) {
        id -> Text,
        request_id -> Text,
        referral_id -> Nullable<Text>,
        unit_id -> Nullable<Text>,
        kind -> Text,
        started_at -> Timestamp,
        due_at -> Timestamp,
        stage -> Text,
        paused_since -> Nullable<Timestamp>,
        met_at -> Nullable<Timestamp>,
        extensions -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    staff_notifications (id) {
        id -> Text,
        user_id -> Text,
        topic -> Text,
        request_id -> Nullable<Text>,
        referral_id -> Nullable<Text>,
        deadline_id -> Nullable<Text>,
        round -> Integer,
        message -> Text,
        details -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    scheduled_jobs (name) {
        name -> Text,
        due_at -> Timestamp,
        leased_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
        last_outcome -> Nullable<Text>,
        runs -> BigInt,
    }
}

diesel::table! {
    meeting_reminders (meeting_id, starts_at) {
        meeting_id -> Text,
        starts_at -> Timestamp,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    meeting_arrivals (meeting_id) {
        meeting_id -> Text,
        arrived_at -> Timestamp,
        recorded_by -> Text,
    }
}
diesel::table! {
    citizen_codes (id) {
        id -> Text,
        mobile -> Text,
        code_hash -> Text,
        tries -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        mobile_index -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Text,
        actor_role -> Text,
        action -> Text,
        request_id -> Nullable<Text>,
        fields -> Text,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    request_erasures (request_id) {
        request_id -> Text,
        noticed_at -> Timestamp,
        erase_on -> Timestamp,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(request_erasures -> requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(request_erasures, requests);

diesel::table! {
    portals (id) {
        id -> Text,
        name -> Text,
        scopes -> Text,
        key_hash -> Text,
        key_hint -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        portal_id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        failures -> Integer,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        event_type -> Text,
        request_id -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        response_code -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_subscriptions -> portals (portal_id));
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::table! {
    request_portals (request_id) {
        request_id -> Text,
        portal_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    portals,
    webhook_subscriptions,
    webhook_deliveries,
    request_portals
);
diesel::allow_tables_to_appear_in_same_query!(request_portals, requests);
diesel::joinable!(request_portals -> portals (portal_id));
