//! Mutation tests: each kind changes what it says it changes and nothing it must not touch.

use super::*;

fn transfer() -> Request {
    Request {
        conn: "A".into(),
        method: "transfer".into(),
        params: json!({
            "destination": "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
            "allocations": [{"asset": "usdc", "amount": "5"}],
        }),
        signers: vec!["A".into(), "B".into()],
        ts_offset_ms: 0,
    }
}

fn cast() -> Cast {
    Cast {
        identities: vec![
            (
                "A".into(),
                "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf".into(),
            ),
            (
                "B".into(),
                "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF".into(),
            ),
            (
                "A.sk".into(),
                "0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69".into(),
            ),
            (
                "Z".into(),
                "0x1efF47bc3a10a45D4B230B5d10E37751FE6AA718".into(),
            ),
        ],
        outsider: "Z".into(),
    }
}

fn mutation(kind: MutKind, at: u8, variant: u8) -> Mutation {
    Mutation { kind, at, variant }
}

fn params(wire: Wire) -> Value {
    match wire {
        Wire::Request(r) => r.params,
        other => panic!("expected a request, got {other:?}"),
    }
}

// SIG-3: the malleated signature is an edited signature of the same signer, in a template
// with the harness's template id and the same params.
#[test]
fn sig_malleate_edits_the_chosen_signature() {
    let wire = apply(
        &mutation(MutKind::SigMalleate, 1, 0),
        &transfer(),
        &cast(),
        &[],
    );
    let Some(Wire::Template { req, sig, .. }) = wire else {
        panic!("expected a template: {wire:?}");
    };
    assert!(
        req.starts_with(&format!("[{TEMPLATE_ID},\"transfer\",")),
        "{req}"
    );
    assert_eq!(sig[0], SigSpec::Signer { name: "A".into() });
    assert_eq!(
        sig[1],
        SigSpec::Edited {
            name: "B".into(),
            edit: SigEdit::Malleated
        }
    );
}

#[test]
fn reordering_needs_two_signers_and_changes_the_order() {
    let Some(Wire::Request(r)) = apply(
        &mutation(MutKind::SigReorder, 0, 0),
        &transfer(),
        &cast(),
        &[],
    ) else {
        panic!("two signers reorder");
    };
    assert_eq!(r.signers, ["B", "A"]);
    let mut one = transfer();
    one.signers.truncate(1);
    assert_eq!(
        apply(&mutation(MutKind::SigReorder, 0, 0), &one, &cast(), &[]),
        None
    );
}

#[test]
fn a_foreign_signer_is_the_outsider_or_a_counterpart_key() {
    let m = |variant| {
        apply(
            &mutation(MutKind::SigForeign, 0, variant),
            &transfer(),
            &cast(),
            &[],
        )
    };
    let Some(Wire::Request(r)) = m(1) else {
        panic!()
    };
    assert_eq!(r.signers, ["Z", "B"]);
    let Some(Wire::Request(r)) = m(3) else {
        panic!()
    };
    assert_eq!(r.signers, ["A.sk", "B"]);
}

#[test]
fn amounts_are_rewritten_as_text_numbers_and_extremes() {
    let amount = |kind, variant| {
        params(apply(&mutation(kind, 0, variant), &transfer(), &cast(), &[]).unwrap())
            ["allocations"][0]["amount"]
            .clone()
    };
    assert_eq!(amount(MutKind::AmountText, 1), json!("5.0"));
    assert_eq!(amount(MutKind::AmountText, 2), json!("5e0"));
    assert_eq!(amount(MutKind::AmountText, 0), json!("+5"));
    assert_eq!(amount(MutKind::AmountNumber, 1), json!(5));
    assert_eq!(amount(MutKind::AmountExtreme, 0), json!("1e1000"));
}

#[test]
fn addresses_are_respelled_replaced_or_swapped_but_kept_filters_never() {
    let dest = |kind, variant, keep: &[&str]| {
        apply(&mutation(kind, 0, variant), &transfer(), &cast(), keep)
            .map(|w| params(w)["destination"].clone())
    };
    assert_eq!(
        dest(MutKind::HexSpelling, 0, &[]),
        Some(json!("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"))
    );
    assert_eq!(
        dest(MutKind::AddressInvalid, 5, &[]),
        Some(json!(ZERO_ADDRESS))
    );
    assert_eq!(
        dest(MutKind::AddressSwap, 0, &[]),
        Some(json!("0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"))
    );
    // With `destination` kept, the only address left is none: nothing to mutate.
    assert_eq!(dest(MutKind::AddressInvalid, 5, &["destination"]), None);
}

#[test]
fn a_duplicate_key_is_written_twice_with_the_real_value_last() {
    let Some(Wire::Template { req, sig, .. }) =
        apply(&mutation(MutKind::KeyCase, 0, 3), &transfer(), &cast(), &[])
    else {
        panic!("a duplicate key needs a template");
    };
    assert!(
        req.contains("\"destination\":null,\"destination\":\"0x7E5F"),
        "{req}"
    );
    assert_eq!(sig.len(), 2);
}

#[test]
fn request_ids_and_timestamps_move_to_their_edges() {
    let Some(Wire::Template { req, .. }) = apply(
        &mutation(MutKind::RequestId, 0, 3),
        &transfer(),
        &cast(),
        &[],
    ) else {
        panic!()
    };
    assert!(
        req.starts_with("[18446744073709551615,\"transfer\""),
        "{req}"
    );
    let Some(Wire::Request(r)) = apply(
        &mutation(MutKind::Timestamp, 0, 3),
        &transfer(),
        &cast(),
        &[],
    ) else {
        panic!()
    };
    assert_eq!(r.ts_offset_ms, 60_001);
}

#[test]
fn param_types_and_unknown_fields_change_one_node() {
    let p = params(
        apply(
            &mutation(MutKind::UnknownField, 0, 0),
            &transfer(),
            &cast(),
            &[],
        )
        .unwrap(),
    );
    assert_eq!(p["foo"], json!("x"));
    assert_eq!(p["destination"], transfer().params["destination"]);
    let p = params(
        apply(
            &mutation(MutKind::ParamType, 0, 5),
            &transfer(),
            &cast(),
            &[],
        )
        .unwrap(),
    );
    assert_eq!(p["destination"], Value::Null);
}
