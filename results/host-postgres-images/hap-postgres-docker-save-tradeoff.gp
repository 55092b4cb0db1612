set terminal pngcairo size 1100,600 font "sans,11" noenhanced
set output "hap-postgres-docker-save-tradeoff.png"
set title "Security against performance: hap_sys vs untraced throughput (error bars 95% CI)\nLinux 6.18.44-fc-v1272, mode syscalls"
set xlabel "untraced throughput (transactions/s, log scale), higher is faster"
set ylabel "hap_sys, lower is a smaller attack profile"
set grid
set logscale x
set xrange [27.57009775:4461.333688]
set yrange [0:*]
set offsets 0, graph 0.15, graph 0.1, 0
unset key
plot "hap-postgres-docker-save-tradeoff.dat" using 2:5:($3 > 27.57009775 ? $3 : 27.57009775):4:6:7 with xyerrorbars pt 7 ps 1.2 lc rgb "#4477aa", \
     "" using 2:5:1 with labels offset 0,1.2 font ",10"
set terminal svg size 1100,600 font "sans,11" noenhanced dynamic
set output "hap-postgres-docker-save-tradeoff.svg"
replot
unset output
