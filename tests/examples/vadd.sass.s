// vadd: c[i] = a[i] + b[i] for i < n — hand-written SASS for sm_90 (hwrt assembler syntax; control codes from the scheduler)
// cbank 0 (shared/research/notes.md): c[0x0][0x0] blockDim.x, c[0x0][0x28] stack, c[0x0][0x208] global memory
// descriptor, parameters from c[0x0][0x210].
.kernel vadd
.param 8                                // const float *a   @0x210
.param 8                                // const float *b   @0x218
.param 8                                // float *c         @0x220
.param 4                                // int n            @0x228
        LDC R1, c[0x0][0x28] ;              // stack pointer
        S2R R0, SR_TID.X ;
        S2UR UR4, SR_CTAID.X ;
        LDC R9, c[0x0][RZ] ;                // blockDim.x
        IMAD R9, R9, UR4, R0 ;              // i = ctaid.x * ntid.x + tid.x
        ULDC UR4, c[0x0][0x228] ;
        ISETP.GE.AND P0, PT, R9, UR4, PT ;
  @P0   EXIT ;
        LDC.64 R2, c[0x0][0x210] ;
        ULDC.64 UR4, c[0x0][0x208] ;
        LDC.64 R4, c[0x0][0x218] ;
        IMAD.WIDE R2, R9, 0x4, R2 ;
        IMAD.WIDE R4, R9, 0x4, R4 ;
        LDG.E R2, desc[UR4][R2.64] ;
        LDG.E R5, desc[UR4][R4.64] ;
        LDC.64 R6, c[0x0][0x220] ;
        FADD R11, R2, R5 ;
        IMAD.WIDE R6, R9, 0x4, R6 ;
        STG.E desc[UR4][R6.64], R11 ;
        EXIT ;
.L_end:
        BRA .L_end ;
