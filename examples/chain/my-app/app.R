cat("Hello from my-app\n")
