;; The column pass of the topic indexes (column-block.ts), in WebAssembly
;; SIMD: the one loop that reads every topic, so the one worth four lanes.
;; columns.wasm is this file compiled (tools/src/build-kernels.ts); a test
;; compiles it again and compares.
;;
;; add(scores, n, cols, ws, count):
;;   scores[slot] += Σ ws[c] × col_c[slot]   for every slot < n (rounded up to 4)
;; scores: byte offset of n float64s; cols: byte offsets of `count` float32
;; columns (i32s); ws: their float32 weights; count: a multiple of 8 (the
;; caller pads with weight 0). Eight columns a pass: their products are summed
;; in float32 lanes, four slots at a time, and the sum is added to the float64
;; scores, so each score is loaded and stored once per eight columns.
(module
  (import "env" "memory" (memory 1))
  (func (export "add") (param $scores i32) (param $n i32) (param $cols i32) (param $ws i32) (param $count i32)
    (local $g i32) (local $at i32) (local $end i32) (local $s i32) (local $sum v128)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $c4 i32) (local $c5 i32) (local $c6 i32) (local $c7 i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $w4 v128) (local $w5 v128) (local $w6 v128) (local $w7 v128)
    ;; Byte length of n float32s, rounded up to whole lanes of four.
    (local.set $end (i32.and (i32.add (i32.shl (local.get $n) (i32.const 2)) (i32.const 15)) (i32.const -16)))
    (block $passes
      (loop $pass
        (br_if $passes (i32.ge_u (local.get $g) (local.get $count)))
        (local.set $c0 (i32.load offset=0 (local.get $cols)))
        (local.set $c1 (i32.load offset=4 (local.get $cols)))
        (local.set $c2 (i32.load offset=8 (local.get $cols)))
        (local.set $c3 (i32.load offset=12 (local.get $cols)))
        (local.set $c4 (i32.load offset=16 (local.get $cols)))
        (local.set $c5 (i32.load offset=20 (local.get $cols)))
        (local.set $c6 (i32.load offset=24 (local.get $cols)))
        (local.set $c7 (i32.load offset=28 (local.get $cols)))
        (local.set $w0 (f32x4.splat (f32.load offset=0 (local.get $ws))))
        (local.set $w1 (f32x4.splat (f32.load offset=4 (local.get $ws))))
        (local.set $w2 (f32x4.splat (f32.load offset=8 (local.get $ws))))
        (local.set $w3 (f32x4.splat (f32.load offset=12 (local.get $ws))))
        (local.set $w4 (f32x4.splat (f32.load offset=16 (local.get $ws))))
        (local.set $w5 (f32x4.splat (f32.load offset=20 (local.get $ws))))
        (local.set $w6 (f32x4.splat (f32.load offset=24 (local.get $ws))))
        (local.set $w7 (f32x4.splat (f32.load offset=28 (local.get $ws))))
        (local.set $at (i32.const 0))
        (local.set $s (local.get $scores))
        (block $slots
          (loop $four
            (br_if $slots (i32.ge_u (local.get $at) (local.get $end)))
            ;; A balanced sum: three roundings deep, which the caller's bound allows for.
            (local.set $sum
              (f32x4.add
                (f32x4.add
                  (f32x4.add
                    (f32x4.mul (local.get $w0) (v128.load (i32.add (local.get $c0) (local.get $at))))
                    (f32x4.mul (local.get $w1) (v128.load (i32.add (local.get $c1) (local.get $at)))))
                  (f32x4.add
                    (f32x4.mul (local.get $w2) (v128.load (i32.add (local.get $c2) (local.get $at))))
                    (f32x4.mul (local.get $w3) (v128.load (i32.add (local.get $c3) (local.get $at))))))
                (f32x4.add
                  (f32x4.add
                    (f32x4.mul (local.get $w4) (v128.load (i32.add (local.get $c4) (local.get $at))))
                    (f32x4.mul (local.get $w5) (v128.load (i32.add (local.get $c5) (local.get $at)))))
                  (f32x4.add
                    (f32x4.mul (local.get $w6) (v128.load (i32.add (local.get $c6) (local.get $at))))
                    (f32x4.mul (local.get $w7) (v128.load (i32.add (local.get $c7) (local.get $at))))))))
            ;; Slots 0–1 of the four, then 2–3 (moved to the low half), widened to float64.
            (v128.store offset=0 (local.get $s)
              (f64x2.add (v128.load offset=0 (local.get $s)) (f64x2.promote_low_f32x4 (local.get $sum))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add
                (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sum) (local.get $sum)))))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (local.set $s (i32.add (local.get $s) (i32.const 32)))
            (br $four)))
        (local.set $cols (i32.add (local.get $cols) (i32.const 32)))
        (local.set $ws (i32.add (local.get $ws) (i32.const 32)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (br $pass)))))
