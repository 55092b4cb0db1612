set terminal pngcairo size 1100,600 font "sans,11" noenhanced
set output "hap-tradeoff.png"
set title "Security against performance: hap_fn vs untraced throughput (error bars 95% CI)\nLinux 6.12.95+deb12-amd64, mode function_graph,syscalls"
set xlabel "untraced throughput (requests/s), higher is faster"
set ylabel "hap_fn, lower is a smaller attack profile"
set grid
set xrange [0:*]
set yrange [0:*]
set offsets 0, graph 0.15, graph 0.1, 0
unset key
plot "hap-tradeoff.dat" using 2:5:3:4:6:7 with xyerrorbars pt 7 ps 1.2 lc rgb "#4477aa", \
     "" using 2:5:1 with labels offset 0,1.2 font ",10"
set terminal svg size 1100,600 font "sans,11" noenhanced dynamic
set output "hap-tradeoff.svg"
replot
unset output
