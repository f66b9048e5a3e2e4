"""The Merkle tree of RFC 9162 against the reference test vectors of RFC 6962/9162 implementations
(leaf inputs, roots for every size from 0 to 8, inclusion and consistency proofs), as published
with Certificate Transparency's reference code (transparency-dev/merkle, testonly/constants.go
and proof/verify_test.go)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuoyu.audit.merkle import (
    EMPTY_ROOT,
    ProofError,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# (leaf index from 0, tree size, path)
INCLUSION = [
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (0, 1, []),
]
# (old size, new size, path)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_every_size_is_the_reference_root(size):
    assert root_of(LEAVES[:size]) == ROOTS[size]
    assert ROOTS[0] == EMPTY_ROOT


@pytest.mark.parametrize("index, size, path", INCLUSION)
def test_inclusion_proofs_are_the_reference_proofs_and_verify(index, size, path):
    assert inclusion_proof(LEAVES, index, size) == path
    verify_inclusion(index, size, LEAVES[index], path, ROOTS[size])


@pytest.mark.parametrize("index, size, path", [v for v in INCLUSION if v[2]])
def test_a_corrupted_inclusion_proof_fails(index, size, path):
    bad = [bytes([path[0][0] ^ 8]) + path[0][1:], *path[1:]]
    for probe in (
        (index ^ 1, size, LEAVES[index], path),
        (index, size * 2, LEAVES[index], path),
        (index, size, LEAVES[index], bad),
        (index, size, LEAVES[index], path[:-1]),
        (index, size, LEAVES[index], [*path, ROOTS[size]]),
        (index, size, leaf_hash(b"other"), path),
    ):
        with pytest.raises(ProofError):
            verify_inclusion(*probe, ROOTS[size])


@pytest.mark.parametrize("old, new, path", CONSISTENCY)
def test_consistency_proofs_are_the_reference_proofs_and_verify(old, new, path):
    assert consistency_proof(LEAVES, old, new) == path
    verify_consistency(old, new, ROOTS[old], ROOTS[new], path)


@pytest.mark.parametrize("old, new, path", [v for v in CONSISTENCY if v[2]])
def test_a_corrupted_consistency_proof_fails(old, new, path):
    bad = [bytes([path[0][0] ^ 16]) + path[0][1:], *path[1:]]
    for probe in (
        (old, new, ROOTS[old], ROOTS[new], bad),
        (old, new, ROOTS[new], ROOTS[old], path),
        (old, new, ROOTS[old], ROOTS[new], path[:-1]),
        (old, new, ROOTS[old], ROOTS[new], []),
        (old + 1, new, ROOTS[old], ROOTS[new], path),
        (old, new, ROOTS[old], ROOTS[new], [*path, ROOTS[new]]),
    ):
        with pytest.raises(ProofError):
            verify_consistency(*probe)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.data())
def test_proofs_of_any_tree_verify_against_its_streamed_root(size, data):
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    builder = TreeBuilder()
    roots = []
    for leaf in leaves:
        builder.append(leaf)
        roots.append(builder.root())
    index = data.draw(st.integers(0, size - 1))
    verify_inclusion(index, size, leaves[index], inclusion_proof(leaves, index, size), roots[-1])
    old = data.draw(st.integers(1, size))
    verify_consistency(old, size, roots[old - 1], roots[-1], consistency_proof(leaves, old, size))
