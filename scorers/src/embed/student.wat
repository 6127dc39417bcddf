;; The sentence student's matrix products (student.ts), in WebAssembly SIMD:
;; a question's ≈ 34k multiply-adds, which in plain JavaScript were most of
;; its cost. student.wasm is this file compiled (tools/src/build-kernels.ts);
;; a test compiles it again and compares.
;;
;; matvec(m, x, y, rows, cols):
;;   y[r] += Σ_c m[r × cols + c] × x[c]   for r < rows
;; m, x, y: byte offsets of float32 arrays. Each row's dot product runs in
;; four float32 lanes, sixteen values a step (four accumulators, so the adds
;; overlap), then four at a time, then one at a time for the last few.
(module
  (import "env" "memory" (memory 1))
  (func (export "matvec") (param $m i32) (param $x i32) (param $y i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $at i32) (local $bytes i32) (local $wide i32) (local $lanes i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $one f32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    ;; Bytes of whole steps of sixteen values, and of whole lanes of four.
    (local.set $wide (i32.and (local.get $bytes) (i32.const -64)))
    (local.set $lanes (i32.and (local.get $bytes) (i32.const -16)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $one (f32.const 0))
        (local.set $at (i32.const 0))
        (block $steps
          (loop $step
            (br_if $steps (i32.ge_u (local.get $at) (local.get $wide)))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (v128.load offset=0 (i32.add (local.get $m) (local.get $at)))
                         (v128.load offset=0 (i32.add (local.get $x) (local.get $at))))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (v128.load offset=16 (i32.add (local.get $m) (local.get $at)))
                         (v128.load offset=16 (i32.add (local.get $x) (local.get $at))))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (v128.load offset=32 (i32.add (local.get $m) (local.get $at)))
                         (v128.load offset=32 (i32.add (local.get $x) (local.get $at))))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (v128.load offset=48 (i32.add (local.get $m) (local.get $at)))
                         (v128.load offset=48 (i32.add (local.get $x) (local.get $at))))))
            (local.set $at (i32.add (local.get $at) (i32.const 64)))
            (br $step)))
        (block $tail
          (loop $four
            (br_if $tail (i32.ge_u (local.get $at) (local.get $lanes)))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $at)))
                         (v128.load (i32.add (local.get $x) (local.get $at))))))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (br $four)))
        (block $last
          (loop $single
            (br_if $last (i32.ge_u (local.get $at) (local.get $bytes)))
            (local.set $one (f32.add (local.get $one)
              (f32.mul (f32.load (i32.add (local.get $m) (local.get $at)))
                       (f32.load (i32.add (local.get $x) (local.get $at))))))
            (local.set $at (i32.add (local.get $at) (i32.const 4)))
            (br $single)))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1))
                                  (f32x4.add (local.get $a2) (local.get $a3))))
        (f32.store (local.get $y)
          (f32.add (f32.load (local.get $y))
            (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
              (f32.add
                (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))
                (local.get $one)))))
        (local.set $m (i32.add (local.get $m) (local.get $bytes)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))))
