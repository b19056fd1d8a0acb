package io.icrinjector.bench;

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;

/**
 * README, "Hostile input": a bounded loopback load of N concurrent POSTs of one ~7 MiB review to a running
 * webhook, over fresh connections, for a few rounds; prints the answers' statuses and the server's RSS (VmRSS,
 * VmHWM from /proc). Not part of make bench: a single-file program, {@code java LargeReviews.java <port> <pid>
 * <concurrency> <kind> [rounds]}, kinds {@code env}, {@code annotation}, {@code containers}, {@code max},
 * {@code image}.
 */
public class LargeReviews {
  public static void main(String[] a) throws Exception {
    int port = Integer.parseInt(a[0]);
    long pid = Long.parseLong(a[1]);
    int concurrency = Integer.parseInt(a[2]);
    String kind = a[3];
    int rounds = a.length > 4 ? Integer.parseInt(a[4]) : 1;
    byte[] body = review(kind, 7_000_000).getBytes(StandardCharsets.UTF_8);
    System.out.printf(
        "kind=%s body=%d bytes concurrency=%d rounds=%d rss-before=%s%n",
        kind, body.length, concurrency, rounds, status(pid, "VmRSS"));
    Map<String, Integer> statuses = new ConcurrentSkipListMap<>();
    long maxRss = 0;
    for (int r = 0; r < rounds; r++) {
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> fs = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        fs.add(
            pool.submit(
                () -> {
                  go.await();
                  return post(port, body);
                }));
      }
      go.countDown();
      pool.shutdown();
      while (!pool.awaitTermination(20, TimeUnit.MILLISECONDS)) {
        maxRss = Math.max(maxRss, kb(status(pid, "VmRSS")));
      }
      for (Future<String> f : fs) {
        String s;
        try {
          s = f.get();
        } catch (ExecutionException e) {
          s = "exception " + e.getCause();
        }
        statuses.merge(s, 1, Integer::sum);
      }
      if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        System.out.println("SERVER DIED");
        break;
      }
    }
    System.out.printf(
        "statuses=%s max-rss-seen=%d KiB VmHWM=%s rss-after=%s%n",
        statuses, maxRss, status(pid, "VmHWM"), status(pid, "VmRSS"));
  }

  static String post(int port, byte[] body) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      try {
        out.write(body);
        out.flush();
      } catch (IOException e) {
        // the server may answer early (503/413) and close; read what it said
      }
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      String line = in.readLine();
      if (line == null) return "closed";
      String status = line.length() >= 12 ? line.substring(9, 12) : line;
      String retry = "";
      for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
        if (h.toLowerCase(Locale.ROOT).startsWith("retry-after")) retry = "+retry-after";
      }
      while (in.read() >= 0) {}
      return status + retry;
    } catch (IOException e) {
      return "io " + e.getClass().getSimpleName();
    }
  }

  static String review(String kind, int size) {
    StringBuilder b = new StringBuilder(size + 4096);
    b.append(
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"big-1\",")
        .append(
            "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"namespace\":\"bench\",\"operation\":\"CREATE\",")
        .append(
            "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"big\"");
    if (kind.equals("annotation")) {
      b.append(",\"annotations\":{\"big\":\"");
      while (b.length() < size - 300)
        b.append("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
      b.append("\"}");
    }
    b.append("},\"spec\":{\"containers\":[");
    if (kind.equals("max")) {
      // the largest review that is read in full: 9,990 containers (under the 10,000 bound), padded
      // to the size
      int per = (size - 400) / 9_990;
      for (int i = 0; i < 9_990; i++) {
        int start = b.length();
        b.append(i == 0 ? "" : ",")
            .append("{\"name\":\"c")
            .append(i)
            .append("\",\"image\":\"registry.ng.bluemix.net/acme/app:")
            .append(i)
            .append("\",\"env\":[{\"name\":\"PAD\",\"value\":\"");
        while (b.length() - start < per - 6) b.append('p');
        b.append("\"}]}");
      }
    } else if (kind.equals("image")) {
      b.append("{\"name\":\"app\",\"image\":\"registry.ng.bluemix.net/");
      while (b.length() < size - 200)
        b.append("a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.");
      b.append("a:1\"}");
    } else if (kind.equals("containers")) {
      int i = 0;
      while (b.length() < size - 200) {
        b.append(i == 0 ? "" : ",")
            .append("{\"name\":\"c")
            .append(i)
            .append("\",\"image\":\"registry.ng.bluemix.net/acme/app:")
            .append(i)
            .append("\"}");
        i++;
      }
    } else {
      b.append("{\"name\":\"app\",\"image\":\"registry.ng.bluemix.net/acme/app:1\",\"env\":[");
      int i = 0;
      if (kind.equals("env")) {
        while (b.length() < size - 200) {
          b.append(i == 0 ? "" : ",")
              .append("{\"name\":\"VAR_")
              .append(i++)
              .append("\",\"value\":\"some value of a variable\"}");
        }
      }
      b.append("]}");
    }
    b.append("]}}}}");
    return b.toString();
  }

  static String status(long pid, String key) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith(key + ":")) return l.substring(key.length() + 1).trim();
      }
    } catch (IOException e) {
      return "gone";
    }
    return "?";
  }

  static long kb(String v) {
    try {
      return Long.parseLong(v.replace("kB", "").trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
