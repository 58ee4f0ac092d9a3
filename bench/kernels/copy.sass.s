// copy: dst[i] = src[i] (u32) for i < n — hand-written SASS for sm_90, for the copy-kernel bandwidth benchmark
.kernel copy
.param 8                                // const uint *src  @0x210
.param 8                                // uint *dst        @0x218
.param 4                                // uint n           @0x220
        LDC R1, c[0x0][0x28] ;
        S2R R0, SR_TID.X ;
        S2UR UR4, SR_CTAID.X ;
        LDC R9, c[0x0][RZ] ;
        IMAD R9, R9, UR4, R0 ;
        ULDC UR4, c[0x0][0x220] ;
        ISETP.GE.U32.AND P0, PT, R9, UR4, PT ;
  @P0   EXIT ;
        LDC.64 R2, c[0x0][0x210] ;
        ULDC.64 UR4, c[0x0][0x208] ;
        LDC.64 R4, c[0x0][0x218] ;
        IMAD.WIDE.U32 R2, R9, 0x4, R2 ;
        IMAD.WIDE.U32 R4, R9, 0x4, R4 ;
        LDG.E R7, desc[UR4][R2.64] ;
        STG.E desc[UR4][R4.64], R7 ;
        EXIT ;
.L_end:
        BRA .L_end ;
