r"""Lemmas C1-C6 of the CiS2 and rotations derivations, as data for the report's lemma table.

Same record shape as ``LEMMAS`` (lemmas G1-G7): ``id``, ``statement`` (LaTeX prose, math in
``$...$``), ``conditions`` and ``proof`` (how it was proved and how it is checked).  The
derivations of ``cis2`` and ``rotations`` cite them as "Lemma C1" ... "Lemma C6".
"""
from __future__ import annotations

LEMMAS_CIS = [
    {
        "id": "C1",
        "statement": r"Two distinct subsets emitted by the prime-step allocation share at most one "
                     r"position: $o_{tu}=|\mathcal S_t\cap\mathcal S_u|\in\{0,1\}$ for $t\ne u$.",
        "conditions": r"the prime-step allocation of \cite{cis2} at $N=D/d$ positions and "
                      r"redundancy $S\ge2$; any $N\ge S$.",
        "proof": r"Each step is $s=mS^n$ with every prime factor of $m$ at least $S$; within one "
                 r"step the blocks of a shift are disjoint and different shifts are different "
                 r"residues modulo $s$. Two shared positions $x<y$ of steps $s_1\ne s_2$ would give "
                 r"$y-x=k_1s_1=k_2s_2$ with $1\le k_i\le S-1$, whose prime factors are below $S$; "
                 r"this forces $m_1=m_2$ and then $s_1=s_2$. Checked by enumerating every pair of "
                 r"subsets at several sizes.",
    },
    {
        "id": "C2",
        "statement": r"If the subsets are assigned to the $T$ circuits by a uniform permutation, then "
                     r"for distinct circuits $t,u,v$: $P_{\rm sh}=\Pr(o_{tu}=1)="
                     r"\sum_n\lambda_n(\lambda_n-1)/(T(T-1))$; $P_3=\Pr(o_{tu}=o_{tv}=1)="
                     r"\sum_a\deg_a(\deg_a-1)/(T(T-1)(T-2))$ with "
                     r"$\deg_a=\sum_{n\in\mathcal S_a}(\lambda_n-1)$; and the probability that all "
                     r"three hold one common position is $P_{\rm tri}="
                     r"\sum_n\lambda_n(\lambda_n-1)(\lambda_n-2)/(T(T-1)(T-2))$.",
        "conditions": r"the loads $\lambda_n$ of the first $T$ subsets; Lemma C1; $T\ge2$ "
                      r"(pairs) or $T\ge3$ (triples).",
        "proof": r"Counting: by Lemma C1 a pair of circuits shares at most one position, so "
                 r"$\sum_{t\ne u}o_{tu}$ counts the ordered pairs of circuits through each "
                 r"position, and $\deg_a$ counts the circuits that share a position with $a$; "
                 r"a uniform permutation makes every ordered pair or triple of distinct subsets "
                 r"equally likely. Checked against exhaustive enumeration of pairs, triples and "
                 r"active sets at small sizes.",
    },
    {
        "id": "C3",
        "statement": r"Let the $z$ active circuits be a uniform $z$-subset of the $T-1$ circuits "
                     r"other than an inactive $u$, and let $K$ be the number of positions of $u$ "
                     r"held by at least one active circuit. With the group sizes "
                     r"$g_n=\lambda_n-1$ of the positions $n$ of $u$ and $g_M=\sum_{n\in M}g_n$, "
                     r"$\Pr(S-K=x)=\sum_{m\ge x}(-1)^{m-x}\binom mxN_m$, where "
                     r"$N_m=\mathbb E_u\sum_{|M|=m}\binom{T-1-g_M}{z}/\binom{T-1}{z}$ is the "
                     r"probability that $m$ given positions are all missed.",
        "conditions": r"Lemma C1 (the circuits through different positions of $u$ form disjoint "
                      r"groups); $u$ uniform over the first $T$ subsets.",
        "proof": r"Inclusion-exclusion over the sets of missed positions; the groups are disjoint, "
                 r"so all of $M$ is missed exactly when the $z$ active circuits avoid $g_M$ "
                 r"circuits. Checked against enumeration of every active set at small sizes and "
                 r"by Monte Carlo on the network.",
    },
    {
        "id": "C4",
        "statement": r"The capacity of the prime-step allocation is $T_{\max}(N,S)=c_SN^2+O(N)$ "
                     r"with $c_S=-\delta_S\kappa_S\big(\psi(1-1/S)+\gamma\big)/(2S)$, "
                     r"$\delta_S=\prod_{p<S}(1-1/p)$ over primes $p$, $\kappa_S=1$ for prime $S$ "
                     r"and $\kappa_S=S/(S-1)$ otherwise; $\psi$ is the digamma function and "
                     r"$\gamma$ Euler's constant. For $S=2$, $c_2=\ln2/2$.",
        "conditions": r"fixed $S\ge2$, $N\to\infty$.",
        "proof": r"A step $s=xN$ contributes $Nx\,\phi(1/x)$ subsets, $\phi$ the piecewise-linear "
                 r"interpolation of $\lfloor y/S\rfloor$; the admissible steps have density "
                 r"$\delta_S\kappa_S$, so the sum over steps is a Riemann sum of "
                 r"$\int\phi(y)y^{-3}dy$, which the ramps of $\phi$ turn into the series "
                 r"$\frac1{2S}\sum_j1/(j(jS-1))$ of $\psi$. Checked against the counted capacity "
                 r"at large $N$ and against a second closed form.",
    },
    {
        "id": "C5",
        "statement": r"If circuit weights $w_u$ are zero-mean, isotropic with "
                     r"$\mathbb E[w_u^\top w_u]=gI$, independent across circuits, and independent "
                     r"of the allocation and of the errors of the previous layer, then "
                     r"$\mathbb E\big|\sum_uc_uw_u\mathbf e_u\big|^2=g\sum_u\mathbb E[c_u^2|\mathbf "
                     r"e_u|^2]$ for coefficients $c_u$ and vectors $\mathbf e_u$ fixed by the "
                     r"allocation and the previous layer.",
        "conditions": r"the isotropic zero-mean circuit family; the overlaps of layer $l$ drawn "
                      r"independently of layer $l-1$ (a fresh permutation per layer).",
        "proof": r"Every cross term $u\ne u'$ contains the zero-mean factor $w_u$, independent of "
                 r"the rest, so it vanishes; each square term gives "
                 r"$\mathbb E[\mathbf e^\top w^\top w\,\mathbf e]=g|\mathbf e|^2$. Checked by "
                 r"Monte Carlo on the network, term by term.",
    },
    {
        "id": "C6",
        "statement": r"If the number $M$ of circuits that link a pair of positions is Poisson with "
                     r"$\Pr(M\ge1)=\pi$, the capped link $\min(1,M)$ has variance "
                     r"$\pi(1-\pi)$, a fraction $\kappa_{\rm cap}=\pi(1-\pi)/(-\ln(1-\pi))$ of "
                     r"$\mathrm{Var}(M)$.",
        "conditions": r"a modelling assumption of the mean-field model: link counts Poisson with "
                      r"mean $-\ln(1-\pi)$.",
        "proof": r"$\min(1,M)$ is Bernoulli with parameter $\pi$, and $\mathrm{Var}(M)$ equals the "
                 r"Poisson mean $-\ln(1-\pi)$. The Poisson assumption itself is checked only "
                 r"through the mean-field predictions, within their stated tolerance.",
    },
]
