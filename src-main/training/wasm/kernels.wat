;; Strata's own wasm SIMD kernels, run on the wasm backend's heap (its memory is imported, so
;; tensors are read and written in place). Hand-written, because the backend runs them between
;; its own XNNPACK ops, where plain JS loops took a third of a training step.
;;
;; Layout: NHWC float32 tensors seen as [rows, c] with the channel innermost; every kernel takes
;; a row range so that threads can split one call. Pointers are byte offsets into the heap (read
;; unsigned: the heap may pass 2 GiB). Each kernel needs c (or cin) divisible by 4, and
;; filter_grad needs cout divisible by 8; callers fall back to JS or XNNPACK otherwise.
;;
;; LIMITS below is replaced at build time: one binary for the threaded backend's shared memory
;; (`1 65536 shared`) and one for the single-threaded backend's own (`1`); see
;; src-main/build/wasmKernels.ts.
(module
  (import "env" "memory" (memory LIMITS))

  ;; Rows per block of the column sums: about 16 KiB of x, so a block stays in L1 while each group
  ;; of 4 channels walks it; f32 sums of one block are added into the f64 totals.
  (func $block_rows (param $c i32) (result i32)
    (local $r i32)
    (local.set $r (i32.div_u (i32.const 4096) (local.get $c)))
    (select (local.get $r) (i32.const 1) (i32.gt_u (local.get $r) (i32.const 0))))

  ;; out[g..g+3] (f64) += the four lanes of v (f32).
  (func $add_f64x4 (param $out i32) (param $v v128)
    (f64.store offset=0 (local.get $out)
      (f64.add (f64.load offset=0 (local.get $out)) (f64.promote_f32 (f32x4.extract_lane 0 (local.get $v)))))
    (f64.store offset=8 (local.get $out)
      (f64.add (f64.load offset=8 (local.get $out)) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $v)))))
    (f64.store offset=16 (local.get $out)
      (f64.add (f64.load offset=16 (local.get $out)) (f64.promote_f32 (f32x4.extract_lane 2 (local.get $v)))))
    (f64.store offset=24 (local.get $out)
      (f64.add (f64.load offset=24 (local.get $out)) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $v))))))

  ;; sum[j] (f64) += Σ_rows x[row, j]                         (mode 0)
  ;; sum[j] (f64) += Σ_rows (x[row, j] - mu[j])²               (mode 1, mu f32)
  (func (export "col_moments") (param $x i32) (param $rows i32) (param $c i32) (param $mu i32) (param $sum i32) (param $mode i32)
    (local $stride i32) (local $block i32) (local $r0 i32) (local $r1 i32) (local $g i32)
    (local $p i32) (local $end i32) (local $acc v128) (local $m v128) (local $d v128)
    (local.set $stride (i32.shl (local.get $c) (i32.const 2)))
    (local.set $block (call $block_rows (local.get $c)))
    (local.set $r0 (i32.const 0))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $r0) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $block)))
        (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
        (local.set $g (i32.const 0))
        (loop $groups
          (local.set $acc (v128.const f32x4 0 0 0 0))
          (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $c)) (local.get $g)) (i32.const 2))))
          (local.set $end (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r1) (local.get $c)) (local.get $g)) (i32.const 2))))
          (if (i32.eqz (local.get $mode))
            (then
              (loop $rows0
                (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (br_if $rows0 (i32.lt_u (local.get $p) (local.get $end)))))
            (else
              (local.set $m (v128.load (i32.add (local.get $mu) (i32.shl (local.get $g) (i32.const 2)))))
              (loop $rows1
                (local.set $d (f32x4.sub (v128.load (local.get $p)) (local.get $m)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (br_if $rows1 (i32.lt_u (local.get $p) (local.get $end))))))
          (call $add_f64x4 (i32.add (local.get $sum) (i32.shl (local.get $g) (i32.const 3))) (local.get $acc))
          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br_if $groups (i32.lt_u (local.get $g) (local.get $c))))
        (local.set $r0 (local.get $r1))
        (br $blocks))))

  ;; The ReLU mask of a fused batch norm + ReLU, recomputed from x in the gradient kernels below:
  ;; lanes where γr·(x - μ) + β > 0 (as the forward pass computed it), or every lane when $pass is
  ;; all ones (batch norm without ReLU).

  ;; All ones unless $relu, then all zeros: the $pass of $relu_mask.
  (func $pass_all (param $relu i32) (result v128)
    (if (result v128) (local.get $relu)
      (then (v128.const i32x4 0 0 0 0))
      (else (v128.const i32x4 -1 -1 -1 -1))))

  ;; The batch-norm gradient's two sums in one pass, with g = dy masked by the ReLU when $relu:
  ;; sdy[j] += Σ g, sdyx[j] += Σ g·(x - mu[j]). gr = γr and beta (f32 per channel) give the mask.
  (func (export "grad_sums") (param $dy i32) (param $x i32) (param $rows i32) (param $c i32) (param $mu i32)
    (param $gr i32) (param $beta i32) (param $relu i32) (param $sdy i32) (param $sdyx i32)
    (local $stride i32) (local $block i32) (local $r0 i32) (local $r1 i32) (local $g i32) (local $off i32)
    (local $p i32) (local $q i32) (local $end i32) (local $a1 v128) (local $a2 v128) (local $m v128) (local $d v128)
    (local $xv v128) (local $grv v128) (local $bv v128) (local $pass v128)
    (local.set $pass (call $pass_all (local.get $relu)))
    (local.set $stride (i32.shl (local.get $c) (i32.const 2)))
    (local.set $block (call $block_rows (local.get $c)))
    (local.set $r0 (i32.const 0))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $r0) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $block)))
        (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
        (local.set $g (i32.const 0))
        (loop $groups
          (local.set $a1 (v128.const f32x4 0 0 0 0))
          (local.set $a2 (v128.const f32x4 0 0 0 0))
          (local.set $off (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $c)) (local.get $g)) (i32.const 2)))
          (local.set $p (i32.add (local.get $dy) (local.get $off)))
          (local.set $q (i32.add (local.get $x) (local.get $off)))
          (local.set $end (i32.add (local.get $dy) (i32.shl (i32.add (i32.mul (local.get $r1) (local.get $c)) (local.get $g)) (i32.const 2))))
          (local.set $m (v128.load (i32.add (local.get $mu) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $grv (v128.load (i32.add (local.get $gr) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $bv (v128.load (i32.add (local.get $beta) (i32.shl (local.get $g) (i32.const 2)))))
          (loop $rows
            (local.set $xv (v128.load (local.get $q)))
            ;; The ReLU mask (inlined: V8 does not inline wasm calls in hot loops).
            (local.set $d (v128.and (v128.load (local.get $p))
              (v128.or
                (f32x4.gt (f32x4.add (f32x4.mul (local.get $grv) (f32x4.sub (local.get $xv) (local.get $m))) (local.get $bv)) (v128.const f32x4 0 0 0 0))
                (local.get $pass))))
            (local.set $a1 (f32x4.add (local.get $a1) (local.get $d)))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $d) (f32x4.sub (local.get $xv) (local.get $m)))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $q (i32.add (local.get $q) (local.get $stride)))
            (br_if $rows (i32.lt_u (local.get $p) (local.get $end))))
          (call $add_f64x4 (i32.add (local.get $sdy) (i32.shl (local.get $g) (i32.const 3))) (local.get $a1))
          (call $add_f64x4 (i32.add (local.get $sdyx) (i32.shl (local.get $g) (i32.const 3))) (local.get $a2))
          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br_if $groups (i32.lt_u (local.get $g) (local.get $c))))
        (local.set $r0 (local.get $r1))
        (br $blocks))))

  ;; The batch norm's dx: out = a·g + b·(x - m) + e per channel (f32 arrays), with g = dy masked
  ;; by the ReLU as in grad_sums (gr, beta, relu).
  (func (export "axpby") (param $dy i32) (param $x i32) (param $rows i32) (param $c i32) (param $a i32) (param $b i32) (param $m i32) (param $e i32)
    (param $gr i32) (param $beta i32) (param $relu i32) (param $out i32)
    (local $end i32) (local $g i32) (local $stride i32) (local $p i32) (local $pass v128) (local $xv v128) (local $mv v128) (local $d v128)
    (local.set $pass (call $pass_all (local.get $relu)))
    (local.set $stride (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $dy) (i32.mul (local.get $rows) (local.get $stride))))
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $rowloop
        (local.set $g (i32.const 0))
        (loop $groups
          (local.set $p (i32.shl (local.get $g) (i32.const 2)))
          (local.set $xv (v128.load (i32.add (local.get $x) (local.get $p))))
          (local.set $mv (v128.load (i32.add (local.get $m) (local.get $p))))
          ;; The ReLU mask, as in grad_sums.
          (local.set $d (v128.and (v128.load (i32.add (local.get $dy) (local.get $p)))
            (v128.or
              (f32x4.gt
                (f32x4.add
                  (f32x4.mul (v128.load (i32.add (local.get $gr) (local.get $p))) (f32x4.sub (local.get $xv) (local.get $mv)))
                  (v128.load (i32.add (local.get $beta) (local.get $p))))
                (v128.const f32x4 0 0 0 0))
              (local.get $pass))))
          (v128.store (i32.add (local.get $out) (local.get $p))
            (f32x4.add
              (f32x4.add
                (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $p))) (local.get $d))
                (f32x4.mul (v128.load (i32.add (local.get $b) (local.get $p))) (f32x4.sub (local.get $xv) (local.get $mv))))
              (v128.load (i32.add (local.get $e) (local.get $p)))))
          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br_if $groups (i32.lt_u (local.get $g) (local.get $c))))
        (local.set $dy (i32.add (local.get $dy) (local.get $stride)))
        (local.set $x (i32.add (local.get $x) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (local.get $stride)))
        (br_if $rowloop (i32.lt_u (local.get $dy) (local.get $end))))))

  ;; The batch norm's forward: out = max(a·(u - m) + e, lo) per channel, lo = 0 with the ReLU
  ;; fused ($relu), else -inf (which leaves every value, NaN included, as it is).
  (func (export "affine") (param $u i32) (param $rows i32) (param $c i32) (param $m i32) (param $a i32) (param $e i32) (param $relu i32) (param $out i32)
    (local $end i32) (local $g i32) (local $stride i32) (local $p i32) (local $lo v128)
    (local.set $lo (if (result v128) (local.get $relu)
      (then (v128.const f32x4 0 0 0 0))
      (else (v128.const f32x4 -inf -inf -inf -inf))))
    (local.set $stride (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $u) (i32.mul (local.get $rows) (local.get $stride))))
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $rowloop
        (local.set $g (i32.const 0))
        (loop $groups
          (local.set $p (i32.shl (local.get $g) (i32.const 2)))
          (v128.store (i32.add (local.get $out) (local.get $p))
            (f32x4.max
              (f32x4.add
                (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $p)))
                  (f32x4.sub (v128.load (i32.add (local.get $u) (local.get $p))) (v128.load (i32.add (local.get $m) (local.get $p)))))
                (v128.load (i32.add (local.get $e) (local.get $p))))
              (local.get $lo)))
          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br_if $groups (i32.lt_u (local.get $g) (local.get $c))))
        (local.set $u (i32.add (local.get $u) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (local.get $stride)))
        (br_if $rowloop (i32.lt_u (local.get $u) (local.get $end))))))

  ;; Conv2DBackpropFilter, accumulated into dw ([kh, kw, cin, cout] f32, zeroed by the caller) over
  ;; the output rows [row0, row1) of dy (row = n·oh + p):
  ;;   dw[i, j, ci, co] += Σ_{rows, q} x[n, p·sh + i - top, q·sw + j - left, ci] · dy[n, p, q, co]
  ;; Taps that fall in the padding are skipped (their x is zero). For each row, tap, 4 input
  ;; channels and 8 output channels, the sum over q runs in 8 registers: per q, 4 broadcast x
  ;; values times 2 vectors of dy.
  (func (export "filter_grad")
    (param $x i32) (param $dy i32) (param $dw i32)
    (param $h i32) (param $w i32) (param $cin i32)
    (param $oh i32) (param $ow i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (param $row0 i32) (param $row1 i32)
    (local $row i32) (local $n i32) (local $p i32) (local $i i32) (local $j i32) (local $xr i32)
    (local $qlo i32) (local $qhi i32) (local $t i32) (local $cb i32) (local $ob i32)
    (local $xrow i32) (local $dyrow i32) (local $xp i32) (local $dp i32) (local $dend i32)
    (local $xstep i32) (local $dstep i32) (local $wp i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $d0 v128) (local $d1 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $xstep (i32.shl (i32.mul (local.get $sw) (local.get $cin)) (i32.const 2)))
    (local.set $dstep (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $row (local.get $row0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $row1)))
        (local.set $n (i32.div_u (local.get $row) (local.get $oh)))
        (local.set $p (i32.rem_u (local.get $row) (local.get $oh)))
        ;; dy's row (n, p) starts at element row·ow·cout.
        (local.set $dyrow (i32.add (local.get $dy) (i32.shl (i32.mul (i32.mul (local.get $row) (local.get $ow)) (local.get $cout)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (loop $taps_i
          (local.set $xr (i32.sub (i32.add (i32.mul (local.get $p) (local.get $sh)) (local.get $i)) (local.get $top)))
          ;; Rows of x outside [0, h) are padding (signed test: xr may be negative).
          (if (i32.and (i32.ge_s (local.get $xr) (i32.const 0)) (i32.lt_s (local.get $xr) (local.get $h)))
            (then
              ;; x's row (n, xr) starts at element ((n·h + xr)·w)·cin.
              (local.set $xrow (i32.add (local.get $x) (i32.shl (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $h)) (local.get $xr)) (local.get $w)) (local.get $cin)) (i32.const 2))))
              (local.set $j (i32.const 0))
              (loop $taps_j
                ;; Valid q: 0 <= q·sw + j - left < w, i.e. q in [qlo, qhi).
                (local.set $t (i32.sub (local.get $left) (local.get $j)))
                (local.set $qlo (i32.const 0))
                (if (i32.gt_s (local.get $t) (i32.const 0))
                  (then (local.set $qlo (i32.div_u (i32.add (local.get $t) (i32.sub (local.get $sw) (i32.const 1))) (local.get $sw)))))
                ;; qhi = floor((w - 1 + left - j) / sw) + 1, if that is >= 0.
                (local.set $t (i32.add (i32.sub (local.get $w) (i32.const 1)) (local.get $t)))
                (local.set $qhi (i32.const 0))
                (if (i32.ge_s (local.get $t) (i32.const 0))
                  (then (local.set $qhi (i32.add (i32.div_u (local.get $t) (local.get $sw)) (i32.const 1)))))
                (if (i32.gt_u (local.get $qhi) (local.get $ow)) (then (local.set $qhi (local.get $ow))))
                (if (i32.lt_u (local.get $qlo) (local.get $qhi))
                  (then
                    (local.set $cb (i32.const 0))
                    (loop $cblocks
                      (local.set $ob (i32.const 0))
                      (loop $oblocks
                        (local.set $a00 (v128.const f32x4 0 0 0 0)) (local.set $a01 (v128.const f32x4 0 0 0 0))
                        (local.set $a10 (v128.const f32x4 0 0 0 0)) (local.set $a11 (v128.const f32x4 0 0 0 0))
                        (local.set $a20 (v128.const f32x4 0 0 0 0)) (local.set $a21 (v128.const f32x4 0 0 0 0))
                        (local.set $a30 (v128.const f32x4 0 0 0 0)) (local.set $a31 (v128.const f32x4 0 0 0 0))
                        ;; x[n, xr, qlo·sw + j - left, cb], dy[n, p, qlo, ob]
                        (local.set $xp (i32.add (local.get $xrow)
                          (i32.shl (i32.add (i32.mul (i32.sub (i32.add (i32.mul (local.get $qlo) (local.get $sw)) (local.get $j)) (local.get $left)) (local.get $cin)) (local.get $cb)) (i32.const 2))))
                        (local.set $dp (i32.add (local.get $dyrow) (i32.shl (i32.add (i32.mul (local.get $qlo) (local.get $cout)) (local.get $ob)) (i32.const 2))))
                        (local.set $dend (i32.add (local.get $dyrow) (i32.shl (i32.add (i32.mul (local.get $qhi) (local.get $cout)) (local.get $ob)) (i32.const 2))))
                        (loop $q
                          (local.set $d0 (v128.load offset=0 (local.get $dp)))
                          (local.set $d1 (v128.load offset=16 (local.get $dp)))
                          (local.set $x0 (v128.load32_splat offset=0 (local.get $xp)))
                          (local.set $x1 (v128.load32_splat offset=4 (local.get $xp)))
                          (local.set $x2 (v128.load32_splat offset=8 (local.get $xp)))
                          (local.set $x3 (v128.load32_splat offset=12 (local.get $xp)))
                          (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $x0) (local.get $d0))))
                          (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $x0) (local.get $d1))))
                          (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x1) (local.get $d0))))
                          (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $x1) (local.get $d1))))
                          (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $x2) (local.get $d0))))
                          (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $x2) (local.get $d1))))
                          (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $x3) (local.get $d0))))
                          (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $x3) (local.get $d1))))
                          (local.set $xp (i32.add (local.get $xp) (local.get $xstep)))
                          (local.set $dp (i32.add (local.get $dp) (local.get $dstep)))
                          (br_if $q (i32.lt_u (local.get $dp) (local.get $dend))))
                        ;; dw[i, j, cb + k, ob .. ob + 7] += a_k0, a_k1
                        (local.set $wp (i32.add (local.get $dw)
                          (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cin)) (local.get $cb)) (local.get $cout)) (local.get $ob)) (i32.const 2))))
                        (v128.store offset=0 (local.get $wp) (f32x4.add (v128.load offset=0 (local.get $wp)) (local.get $a00)))
                        (v128.store offset=16 (local.get $wp) (f32x4.add (v128.load offset=16 (local.get $wp)) (local.get $a01)))
                        (local.set $wp (i32.add (local.get $wp) (local.get $dstep)))
                        (v128.store offset=0 (local.get $wp) (f32x4.add (v128.load offset=0 (local.get $wp)) (local.get $a10)))
                        (v128.store offset=16 (local.get $wp) (f32x4.add (v128.load offset=16 (local.get $wp)) (local.get $a11)))
                        (local.set $wp (i32.add (local.get $wp) (local.get $dstep)))
                        (v128.store offset=0 (local.get $wp) (f32x4.add (v128.load offset=0 (local.get $wp)) (local.get $a20)))
                        (v128.store offset=16 (local.get $wp) (f32x4.add (v128.load offset=16 (local.get $wp)) (local.get $a21)))
                        (local.set $wp (i32.add (local.get $wp) (local.get $dstep)))
                        (v128.store offset=0 (local.get $wp) (f32x4.add (v128.load offset=0 (local.get $wp)) (local.get $a30)))
                        (v128.store offset=16 (local.get $wp) (f32x4.add (v128.load offset=16 (local.get $wp)) (local.get $a31)))
                        (local.set $ob (i32.add (local.get $ob) (i32.const 8)))
                        (br_if $oblocks (i32.lt_u (local.get $ob) (local.get $cout))))
                      (local.set $cb (i32.add (local.get $cb) (i32.const 4)))
                      (br_if $cblocks (i32.lt_u (local.get $cb) (local.get $cin))))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $taps_j (i32.lt_u (local.get $j) (local.get $kw))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $taps_i (i32.lt_u (local.get $i) (local.get $kh))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Conv2D (NHWC x, HWIO wt, bias or 0) over the output rows [row0, row1) (row = n·oh + p):
  ;;   out[n, p, q, co] = bias[co] + Σ_{i, j, ci} x[n, p·sh + i - top, q·sw + j - left, ci] · wt[i, j, ci, co]
  ;; Taps in the padding read zeros (top and left may be negative: the first outputs start inside x).
  ;; Output (p, q) is stored at row p·osh + oph, column q·osw + opw of an [n, ohf, owf, cout] tensor:
  ;; (1, 1, 0, 0) and ohf, owf = oh, ow for a plain conv; a stride-s phase of a transposed conv
  ;; writes its rows and columns of dx directly. 4 output pixels times 8 output channels run in 8
  ;; registers: per input channel, 2 vectors of weights times 4 broadcast x values. A tap row outside
  ;; the image is skipped; a pixel whose tap column is outside reads `zeros` (cin zero floats), so the
  ;; image's edges and a row's last, partial block run the same loop as its interior.
  (func (export "conv_fwd")
    (param $x i32) (param $wt i32) (param $bias i32) (param $out i32)
    (param $h i32) (param $w i32) (param $cin i32)
    (param $oh i32) (param $ow i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (param $row0 i32) (param $row1 i32)
    (param $ohf i32) (param $owf i32) (param $osh i32) (param $osw i32) (param $oph i32) (param $opw i32)
    (param $zeros i32)
    (local $ostep i32) (local $cstep i32)
    (local $row i32) (local $n i32) (local $p i32) (local $ob i32) (local $q i32) (local $npx i32)
    (local $i i32) (local $j i32) (local $xr i32) (local $xrow i32) (local $col i32)
    (local $outrow i32) (local $op i32) (local $wstep i32) (local $k i32) (local $kend i32) (local $wp i32)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $w0 v128) (local $w1 v128) (local $xv v128) (local $b0 v128) (local $b1 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $wstep (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $kend (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $cstep (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $ostep (i32.shl (i32.mul (local.get $cout) (local.get $osw)) (i32.const 2)))
    (local.set $row (local.get $row0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $row1)))
        (local.set $n (i32.div_u (local.get $row) (local.get $oh)))
        (local.set $p (i32.rem_u (local.get $row) (local.get $oh)))
        (local.set $outrow (i32.add (local.get $out)
          (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $ohf)) (i32.add (i32.mul (local.get $p) (local.get $osh)) (local.get $oph))) (local.get $owf)) (local.get $opw)) (local.get $cout)) (i32.const 2))))
        (local.set $ob (i32.const 0))
        (loop $oblocks
          (if (local.get $bias)
            (then
              (local.set $b0 (v128.load offset=0 (i32.add (local.get $bias) (i32.shl (local.get $ob) (i32.const 2)))))
              (local.set $b1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $ob) (i32.const 2))))))
            (else
              (local.set $b0 (v128.const f32x4 0 0 0 0))
              (local.set $b1 (v128.const f32x4 0 0 0 0))))
          (local.set $q (i32.const 0))
          (block $blocks_done
            (loop $blocks
              (br_if $blocks_done (i32.ge_u (local.get $q) (local.get $ow)))
              (local.set $npx (i32.sub (local.get $ow) (local.get $q)))
              (local.set $a00 (local.get $b0)) (local.set $a01 (local.get $b1))
              (local.set $a10 (local.get $b0)) (local.set $a11 (local.get $b1))
              (local.set $a20 (local.get $b0)) (local.set $a21 (local.get $b1))
              (local.set $a30 (local.get $b0)) (local.set $a31 (local.get $b1))
              (local.set $i (i32.const 0))
              (loop $taps_i
                (local.set $xr (i32.sub (i32.add (i32.mul (local.get $p) (local.get $sh)) (local.get $i)) (local.get $top)))
                (if (i32.lt_u (local.get $xr) (local.get $h))
                  (then
                    (local.set $xrow (i32.add (local.get $x) (i32.shl (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $h)) (local.get $xr)) (local.get $w)) (local.get $cin)) (i32.const 2))))
                    (local.set $j (i32.const 0))
                    (loop $taps_j
                      ;; Column of pixel 0's tap; pixel k's is col + k·sw. Unsigned compares reject both sides.
                      (local.set $col (i32.sub (i32.add (i32.mul (local.get $q) (local.get $sw)) (local.get $j)) (local.get $left)))
                      (local.set $x0 (select (i32.add (local.get $xrow) (i32.mul (local.get $col) (local.get $cstep))) (local.get $zeros)
                        (i32.lt_u (local.get $col) (local.get $w))))
                      (local.set $col (i32.add (local.get $col) (local.get $sw)))
                      (local.set $x1 (select (i32.add (local.get $xrow) (i32.mul (local.get $col) (local.get $cstep))) (local.get $zeros)
                        (i32.lt_u (local.get $col) (local.get $w))))
                      (local.set $col (i32.add (local.get $col) (local.get $sw)))
                      (local.set $x2 (select (i32.add (local.get $xrow) (i32.mul (local.get $col) (local.get $cstep))) (local.get $zeros)
                        (i32.lt_u (local.get $col) (local.get $w))))
                      (local.set $col (i32.add (local.get $col) (local.get $sw)))
                      (local.set $x3 (select (i32.add (local.get $xrow) (i32.mul (local.get $col) (local.get $cstep))) (local.get $zeros)
                        (i32.lt_u (local.get $col) (local.get $w))))
                      (local.set $wp (i32.add (local.get $wt)
                        (i32.shl (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cin)) (local.get $cout)) (local.get $ob)) (i32.const 2))))
                      (local.set $k (i32.const 0))
                      (loop $ci
                        (local.set $w0 (v128.load offset=0 (local.get $wp)))
                        (local.set $w1 (v128.load offset=16 (local.get $wp)))
                        (local.set $xv (v128.load32_splat (i32.add (local.get $x0) (local.get $k))))
                        (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $xv) (local.get $w0))))
                        (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $xv) (local.get $w1))))
                        (local.set $xv (v128.load32_splat (i32.add (local.get $x1) (local.get $k))))
                        (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $xv) (local.get $w0))))
                        (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $xv) (local.get $w1))))
                        (local.set $xv (v128.load32_splat (i32.add (local.get $x2) (local.get $k))))
                        (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $xv) (local.get $w0))))
                        (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $xv) (local.get $w1))))
                        (local.set $xv (v128.load32_splat (i32.add (local.get $x3) (local.get $k))))
                        (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $xv) (local.get $w0))))
                        (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $xv) (local.get $w1))))
                        (local.set $wp (i32.add (local.get $wp) (local.get $wstep)))
                        (local.set $k (i32.add (local.get $k) (i32.const 4)))
                        (br_if $ci (i32.lt_u (local.get $k) (local.get $kend))))
                      (local.set $j (i32.add (local.get $j) (i32.const 1)))
                      (br_if $taps_j (i32.lt_u (local.get $j) (local.get $kw))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $taps_i (i32.lt_u (local.get $i) (local.get $kh))))
              ;; Store the block's pixels that exist (a row's last block may have 1-3).
              (local.set $op (i32.add (local.get $outrow) (i32.shl (i32.add (i32.mul (i32.mul (local.get $q) (local.get $osw)) (local.get $cout)) (local.get $ob)) (i32.const 2))))
              (v128.store offset=0 (local.get $op) (local.get $a00))
              (v128.store offset=16 (local.get $op) (local.get $a01))
              (if (i32.gt_u (local.get $npx) (i32.const 1))
                (then
                  (local.set $op (i32.add (local.get $op) (local.get $ostep)))
                  (v128.store offset=0 (local.get $op) (local.get $a10))
                  (v128.store offset=16 (local.get $op) (local.get $a11))
                  (if (i32.gt_u (local.get $npx) (i32.const 2))
                    (then
                      (local.set $op (i32.add (local.get $op) (local.get $ostep)))
                      (v128.store offset=0 (local.get $op) (local.get $a20))
                      (v128.store offset=16 (local.get $op) (local.get $a21))
                      (if (i32.gt_u (local.get $npx) (i32.const 3))
                        (then
                          (local.set $op (i32.add (local.get $op) (local.get $ostep)))
                          (v128.store offset=0 (local.get $op) (local.get $a30))
                          (v128.store offset=16 (local.get $op) (local.get $a31))))))))
              (local.set $q (i32.add (local.get $q) (i32.const 4)))
              (br $blocks)))
          (local.set $ob (i32.add (local.get $ob) (i32.const 8)))
          (br_if $oblocks (i32.lt_u (local.get $ob) (local.get $cout))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))
)
