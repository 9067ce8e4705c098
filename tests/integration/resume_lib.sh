# resume_lib.sh: helpers for the kill/resume, signal, straggler and Slurm
# tests (sourced after lib.sh).

# corpus: 300 Searchformer mazes in 16-record zstd frames, 200 beyond-dialect
# records in plain JSONL and two bad lines (error items: exit status 3).
make_corpus() {
    "$TF_BIN" gen maze --count 300 --rows 8 --cols 9 --generator mix --corrupt mix \
        --corrupt-rate 0.6 --seed 21 --frame-items 16 --out a.jsonl.zst > /dev/null
    "$TF_BIN" gen maze --count 200 --rows 7 --cols 7 --generator mix --corrupt mix \
        --dialect beyond --seed 22 --out b.jsonl > /dev/null
    printf '{"id": "bad", "prompt": \n{"id": "nooutput", "prompt": "start 0 0 goal 4 4"}\n' >> b.jsonl
}

job() { # job FILE OUTPUT SHARD_ITEMS [EXTRA]
    cat > "$1" <<JSON
{"name": "resume", "domain": "maze", "corpus": ["a.jsonl.zst", "b.jsonl"], "output": "$2",
 "maze": {"rows": 8, "cols": 9}, "shard_items": $3 ${4:-}}
JSON
}

# decompress OUT's outputs to OUT.summary.json and OUT.items.jsonl
outputs() {
    zstd -q -dc "$1/summary.json.zst" > "$1.summary.json"
    zstd -q -dc "$1/items.jsonl.zst" > "$1.items.jsonl"
}

same_as_base() { # same_as_base OUT: decompressed outputs identical to base's
    outputs "$1" && cmp -s base.summary.json "$1.summary.json" && cmp -s base.items.jsonl "$1.items.jsonl"
}

done_records() { # done_records OUT: finished shards in the journal
    local n
    n=$(grep -c '^done ' "$1/.tracefarm-journal" 2> /dev/null || true)
    echo "${n:-0}"
}

wait_done() { # wait_done OUT N [SECONDS]: until the journal has N done records
    local i=0 limit=$((${3:-60} * 10))
    while [ "$(done_records "$1")" -lt "$2" ]; do
        sleep 0.1
        i=$((i + 1))
        [ "$i" -lt "$limit" ] || return 1
    done
}

json_field() { # json_field FILE KEY: a top-level value of a JSON file
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
